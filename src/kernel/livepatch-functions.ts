/**
 * The functions a livepatch module patches, read from its ELF file: its `objs` array of struct
 * klp_object (name, funcs) and each object's array of struct klp_func (old_name, new_func,
 * old_sympos), as laid out by the kernel's livepatch.h, read through their relocations. Works for
 * the modules this tool generates and for the kernel's sample livepatches (same array names).
 */
import { R_X86_64_64 } from '../arch/x86_64/relocations.js';
import { KLP_FUNC_NEW_FUNC, KLP_FUNC_OLD_SYMPOS, KLP_OBJECT_FUNCS } from '../arch/x86_64/livepatch-structs.js';
import { STB_GLOBAL, STT_FUNC, STT_SECTION, type ElfFile, type ElfSection, type Relocation } from '../elf/index.js';
import { modinfoValue } from './modinfo.js';
import { readModuleElf } from './module-file.js';

export interface PatchedFunction {
  /** The function replaced (old_name). */
  name: string;
  /** old_sympos: 0 when the name is unique in its object, else its position (kallsyms order). */
  sympos: number;
  /**
   * The livepatch module's symbol of the replacement (new_func) when it names it alone in the
   * module (this tool's modules: tsbp_new_<function>); undefined when no name of the module is
   * unique to it (a probe by name could hit another function).
   */
  replacement: string | undefined;
}

export interface PatchedObject {
  /** "vmlinux" or the module name. */
  object: string;
  functions: PatchedFunction[];
}

function cString(section: ElfSection, offset: number): string {
  const data = section.data;
  const end = data.indexOf(0, offset);
  return data.subarray(offset, end < 0 ? data.length : end).toString('latin1');
}

/** The relocations of the array of symbol NAME (absolute 64-bit ones), by offset in the array. */
function arrayRelocations(elf: ElfFile, name: string): Map<number, Relocation> | undefined {
  const symbol = elf.symbolByName(name);
  if (!symbol?.section) return undefined;
  const base = symbol.offset;
  const byOffset = new Map<number, Relocation>();
  for (const r of elf.relocationsFor(symbol.section)) {
    if (r.type === R_X86_64_64 && r.offset >= base && r.offset < base + symbol.size) byOffset.set(r.offset - base, r);
  }
  return byOffset;
}

/** The string a relocation points at (a string literal: section symbol + addend, or a symbol). */
function pointedString(r: Relocation): string | undefined {
  const section = r.symbol.section;
  if (!section) return undefined;
  return cString(section, r.symbol.offset + Number(r.addend));
}

/**
 * The name of the function a relocation points at that no other symbol of the module has (a
 * global one first): a kprobe on MODULE:NAME then hits this function and no other.
 */
function pointedFunction(elf: ElfFile, r: Relocation): string | undefined {
  const section = r.symbol.section;
  if (!section) return undefined;
  const offset = (r.symbol.type === STT_SECTION ? 0 : r.symbol.offset) + Number(r.addend);
  const candidates = elf.symbols
    .filter((s) => s.section === section && s.type === STT_FUNC && s.offset === offset && s.name !== '')
    .filter((s) => elf.symbolsByName(s.name).length === 1)
    .sort((a, b) => Number(b.bind === STB_GLOBAL) - Number(a.bind === STB_GLOBAL));
  return candidates[0]?.name;
}

/** The patched functions of livepatch module ELF, per object (empty when it has no `objs` array). */
export function livepatchFunctions(elf: ElfFile): PatchedObject[] {
  const objs = arrayRelocations(elf, 'objs');
  if (!objs) return [];
  const objects: PatchedObject[] = [];
  for (const [offset, funcsRelocation] of [...objs].sort((a, b) => a[0] - b[0])) {
    const funcsSymbol = funcsRelocation.symbol;
    const funcsSection = funcsSymbol.section;
    // The funcs pointer is the second field; the first (name, at offset 0) is a string or NULL (vmlinux).
    if (!funcsSection || !funcsSection.name.startsWith('.data') || funcsSection.name.includes('.str')) continue;
    const nameRelocation = objs.get(offset - KLP_OBJECT_FUNCS);
    const object = nameRelocation ? (pointedString(nameRelocation) ?? 'vmlinux') : 'vmlinux';
    const funcsStart = funcsSymbol.offset + Number(funcsRelocation.addend);
    const functions: PatchedFunction[] = [];
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
      functions.push({ name, sympos, replacement: pointedFunction(elf, newFunc) });
      i++;
    }
    if (functions.length > 0 || nameRelocation) objects.push({ object, functions });
  }
  return objects;
}

/** The patched functions of the module in FILE (.ko or .ko.xz); undefined when it is no livepatch. */
export async function livepatchFunctionsInFile(file: string): Promise<PatchedObject[] | undefined> {
  const elf = await readModuleElf(file);
  return modinfoValue(elf, 'livepatch') === 'Y' ? livepatchFunctions(elf) : undefined;
}
