import { KLP_PATCH_REPLACE } from '../../arch/x86_64/livepatch-structs.js';
import { readElf, type ElfFile } from '../../elf/index.js';
import { livepatchFunctions } from '../../kernel/livepatch-functions.js';
import { modinfoEntries, modinfoEntryValue } from '../../kernel/modinfo.js';
import { loaderFactsOf, type StreamIdentity } from '../../kernel/stream-facts.js';
import { kernelModuleName, moduleNameOf } from '../../kernel/module-name.js';
import { UserError } from '../../util/errors.js';

/** What a package needs to know about one livepatch module, read from its ELF file. */
export interface LivepatchModuleFacts {
  path: string;
  /** The module name the kernel uses (`.modinfo` name, dashes as underscores). */
  name: string;
  vermagic: string;
  /** The kernel release: the first word of the vermagic. */
  release: string;
  description: string | undefined;
  /** `klp_patch.replace`: loading it replaces every earlier livepatch (undefined: not found). */
  replace: boolean | undefined;
  /** The stream the module is a build of (its .modinfo), if any. */
  stream: StreamIdentity | undefined;
  /** Patched functions per object ("vmlinux" or a module name), from the klp_object array. */
  objects: { object: string; functions: { name: string; sympos: number }[] }[];
}

function replaceFlag(elf: ElfFile): boolean | undefined {
  const patch = elf.symbolByName('patch');
  if (!patch?.section || patch.size <= KLP_PATCH_REPLACE) return undefined;
  return patch.section.data[patch.offset + KLP_PATCH_REPLACE] !== 0;
}

export async function readLivepatchModule(path: string): Promise<LivepatchModuleFacts> {
  const elf = await readElf(path);
  const modinfo = modinfoEntries(elf);
  if (modinfoEntryValue(modinfo, 'livepatch') !== 'Y')
    throw new UserError(`${path}: not a livepatch module (no livepatch=Y in .modinfo)`);
  const vermagic = modinfoEntryValue(modinfo, 'vermagic');
  const release = vermagic?.trim().split(/\s+/)[0];
  if (!vermagic || !release) throw new UserError(`${path}: no vermagic in .modinfo`);
  const name = modinfoEntryValue(modinfo, 'name') ?? moduleNameOf(path);
  return {
    path,
    name: kernelModuleName(name),
    vermagic,
    release,
    description: modinfoEntryValue(modinfo, 'description'),
    replace: replaceFlag(elf),
    stream: loaderFactsOf(modinfo, path).stream,
    objects: livepatchFunctions(elf).map(({ object, functions }) => ({
      object,
      functions: functions.map(({ name, sympos }) => ({ name, sympos })),
    })),
  };
}
