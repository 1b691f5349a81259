import { R_X86_64_64 } from '../../arch/x86_64/relocations.js';
import {
  KLP_FUNC_NEW_FUNC,
  KLP_FUNC_OLD_SYMPOS,
  KLP_OBJECT_FUNCS,
  KLP_PATCH_REPLACE,
} from '../../arch/x86_64/livepatch-structs.js';
import { readElf, type ElfFile, type ElfSection, type Relocation } from '../../elf/index.js';
import { modinfoValue } from '../../kernel/modinfo.js';
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
  /** Patched functions per object ("vmlinux" or a module name), from the klp_object array. */
  objects: { object: string; functions: { name: string; sympos: number }[] }[];
}

function cString(section: ElfSection, offset: number): string {
  const data = section.data;
  const end = data.indexOf(0, offset);
  return data.subarray(offset, end < 0 ? data.length : end).toString('latin1');
}

/** The relocations of the array of symbol NAME (absolute 64-bit ones), by offset in the array. */
function arrayRelocations(
  elf: ElfFile,
  name: string,
): { section: ElfSection; base: number; byOffset: Map<number, Relocation> } | undefined {
  const symbol = elf.symbolByName(name);
  if (!symbol?.section) return undefined;
  const base = symbol.offset;
  const byOffset = new Map<number, Relocation>();
  for (const r of elf.relocationsFor(symbol.section)) {
    if (r.type === R_X86_64_64 && r.offset >= base && r.offset < base + symbol.size) byOffset.set(r.offset - base, r);
  }
  return { section: symbol.section, base, byOffset };
}

/** The string a relocation points at (a string literal: section symbol + addend, or a symbol). */
function pointedString(r: Relocation): string | undefined {
  const section = r.symbol.section;
  if (!section) return undefined;
  return cString(section, r.symbol.offset + Number(r.addend));
}

/**
 * The patched functions of a livepatch module: its `objs` array of struct klp_object (name,
 * funcs) and each object's array of struct klp_func (old_name, new_func, old_sympos), as laid
 * out by the kernel's livepatch.h, read through their relocations. Works for the modules this
 * tool generates and for the kernel's sample livepatches (same names).
 */
function patchedObjects(elf: ElfFile): LivepatchModuleFacts['objects'] {
  const objs = arrayRelocations(elf, 'objs');
  if (!objs) return [];
  const objects: LivepatchModuleFacts['objects'] = [];
  for (const [offset, funcsRelocation] of [...objs.byOffset].sort((a, b) => a[0] - b[0])) {
    const funcsSymbol = funcsRelocation.symbol;
    const funcsSection = funcsSymbol.section;
    // The funcs pointer is the second field; the first (name, at offset 0) is a string or NULL (vmlinux).
    if (!funcsSection || !funcsSection.name.startsWith('.data') || funcsSection.name.includes('.str')) continue;
    const nameRelocation = objs.byOffset.get(offset - KLP_OBJECT_FUNCS);
    const object = nameRelocation ? (pointedString(nameRelocation) ?? 'vmlinux') : 'vmlinux';
    const funcsStart = funcsSymbol.offset + Number(funcsRelocation.addend);
    const functions: { name: string; sympos: number }[] = [];
    const rels = elf
      .relocationsFor(funcsSection)
      .filter((r) => r.type === R_X86_64_64 && r.offset >= funcsStart)
      .sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < rels.length; i++) {
      const oldName = rels[i]!;
      const newFunc = rels[i + 1];
      if (!newFunc || newFunc.offset !== oldName.offset + KLP_FUNC_NEW_FUNC) break;
      const name = pointedString(oldName);
      if (name === undefined) break;
      const sympos = Number(funcsSection.data.readBigUInt64LE(oldName.offset + KLP_FUNC_OLD_SYMPOS));
      functions.push({ name, sympos });
      i++;
    }
    if (functions.length > 0 || nameRelocation) objects.push({ object, functions });
  }
  return objects;
}

function replaceFlag(elf: ElfFile): boolean | undefined {
  const patch = elf.symbolByName('patch');
  if (!patch?.section || patch.size <= KLP_PATCH_REPLACE) return undefined;
  return patch.section.data[patch.offset + KLP_PATCH_REPLACE] !== 0;
}

export async function readLivepatchModule(path: string): Promise<LivepatchModuleFacts> {
  const elf = await readElf(path);
  if (modinfoValue(elf, 'livepatch') !== 'Y')
    throw new UserError(`${path}: not a livepatch module (no livepatch=Y in .modinfo)`);
  const vermagic = modinfoValue(elf, 'vermagic');
  const release = vermagic?.trim().split(/\s+/)[0];
  if (!vermagic || !release) throw new UserError(`${path}: no vermagic in .modinfo`);
  const name = modinfoValue(elf, 'name') ?? moduleNameOf(path);
  return {
    path,
    name: kernelModuleName(name),
    vermagic,
    release,
    description: modinfoValue(elf, 'description'),
    replace: replaceFlag(elf),
    objects: patchedObjects(elf),
  };
}
