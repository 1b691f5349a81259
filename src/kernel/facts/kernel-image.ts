/**
 * What entrySizesFromKernel needs to know about a vmlinux besides its DWARF: whether it has
 * DWARF at all, its identity for the cache, and which special sections hold entries in it.
 */
import type { ElfFile } from '../../elf/index.js';

/** Debug-info sections, plain or (old style) compressed. */
const DWARF_INFO_SECTIONS = ['.debug_info', '.zdebug_info'];

export function hasDwarf(elf: ElfFile): boolean {
  return elf.sections.some((section) => DWARF_INFO_SECTIONS.includes(section.name) && section.size > 0);
}

/**
 * Whether the vmlinux holds entries between the linker-script symbols `bounds` (start, stop).
 * Neither symbol: the section is not part of this kernel. Only one of them: cannot tell, so
 * assume it holds entries.
 */
export function holdsEntries(elf: ElfFile, bounds: readonly [start: string, stop: string]): boolean {
  const start = elf.symbolByName(bounds[0]);
  const stop = elf.symbolByName(bounds[1]);
  if (start === undefined || stop === undefined) return start !== stop;
  return stop.value > start.value;
}
