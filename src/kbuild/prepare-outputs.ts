import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cmdFileDeps } from './object-index.js';

/**
 * Files that kbuild's `prepare` step writes and that a single-object build runs again when a
 * header they depend on changed: the generated headers, the offsets programs' assembly, modpost
 * (its programs, objects and device-table offsets) and the synced configuration. A patched
 * build that changes a header must restore them all, byte and time, or the cached tree would
 * rebuild (or wrongly keep) everything that depends on them.
 *
 * Derived from the tree, not listed per kernel version: the directories and the files below are
 * where every version this tool builds (6.1, 6.12) puts them, and what modpost's directory holds
 * differs between versions (6.9 added symsearch.o), so there every file kbuild recorded a command
 * for (`.<name>.cmd` beside it) counts, with its `.cmd` file, and the one filechk output.
 */
const DIRECTORIES = ['include/generated', 'arch/x86/include/generated', 'include/config'];
const FILES = [
  '.config',
  '.missing-syscalls.d',
  'arch/x86/kernel/asm-offsets.s',
  'arch/x86/kernel/.asm-offsets.s.cmd',
  'kernel/bounds.s',
  'kernel/.bounds.s.cmd',
];
/** modpost's directory, and what filechk writes there (no `.cmd` record). */
const MODPOST_DIR = 'scripts/mod';
const MODPOST_FILECHK = ['devicetable-offsets.h'];

/** The build outputs among the names of one directory: each that has a `.<name>.cmd` beside it, and those `.cmd` files. */
export function builtFiles(names: readonly string[]): string[] {
  const present = new Set(names);
  const built = names.filter((name) => !name.startsWith('.') && present.has(`.${name}.cmd`));
  return [...built, ...built.map((name) => `.${name}.cmd`)].sort();
}

/** The prepare outputs of TREE, as absolute paths (directories listed file by file). */
export async function prepareOutputs(tree: string): Promise<string[]> {
  const files = FILES.map((f) => join(tree, f));
  const modpost = (await readdir(join(tree, MODPOST_DIR), { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
  const outputs = new Set([...builtFiles(modpost), ...MODPOST_FILECHK]);
  files.push(...[...outputs].sort().map((name) => join(tree, MODPOST_DIR, name)));
  for (const dir of DIRECTORIES) {
    const entries = await readdir(join(tree, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) files.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
    }
  }
  return files;
}

/**
 * The files of FILES (tree paths, normalized) that prepare's outputs are made from: those the
 * records among them (asm-offsets.s's, bounds.s's, modpost's `.cmd` files) list as
 * dependencies. A change to one can change a generated header that objects include
 * (asm-offsets.h from the hundreds of headers asm-offsets.c includes) without a line of theirs
 * changing; the generated files are up to date again only after a make call.
 */
export async function preparedFrom(tree: string, files: readonly string[]): Promise<string[]> {
  const wanted = new Set(files);
  const found = new Set<string>();
  for (const output of await prepareOutputs(tree)) {
    if (!output.endsWith('.cmd')) continue;
    const text = await readFile(output, 'utf8').catch(() => '');
    for (const dep of cmdFileDeps(text)) if (wanted.has(dep)) found.add(dep);
  }
  return [...found].sort();
}
