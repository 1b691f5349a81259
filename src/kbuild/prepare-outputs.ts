import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files that kbuild's `prepare` step writes and that a single-object build runs again when a
 * header they depend on changed: the generated headers, the offsets programs' assembly and
 * modpost's device-table offsets (and their .cmd/.d files), and the synced configuration.
 * A patched build that changes a header must restore them all, byte and time, or the cached
 * tree would rebuild (or wrongly keep) everything that depends on them.
 */
const DIRECTORIES = ['include/generated', 'arch/x86/include/generated', 'include/config'];
const FILES = [
  '.config', '.missing-syscalls.d',
  'arch/x86/kernel/asm-offsets.s', 'arch/x86/kernel/.asm-offsets.s.cmd',
  'kernel/bounds.s', 'kernel/.bounds.s.cmd',
  'scripts/mod/devicetable-offsets.s', 'scripts/mod/.devicetable-offsets.s.cmd', 'scripts/mod/devicetable-offsets.h',
  'scripts/mod/modpost', 'scripts/mod/.modpost.cmd',
  'scripts/mod/file2alias.o', 'scripts/mod/.file2alias.o.cmd', 'scripts/mod/modpost.o', 'scripts/mod/.modpost.o.cmd',
  'scripts/mod/sumversion.o', 'scripts/mod/.sumversion.o.cmd', 'scripts/mod/elfconfig.h', 'scripts/mod/mk_elfconfig',
];

/** The prepare outputs of TREE, as absolute paths (directories listed file by file). */
export async function prepareOutputs(tree: string): Promise<string[]> {
  const files = FILES.map((f) => join(tree, f));
  for (const dir of DIRECTORIES) {
    const entries = await readdir(join(tree, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) files.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
    }
  }
  return files;
}
