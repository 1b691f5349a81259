import { ElfModelError } from '../errors.js';
import type { ElfFile } from '../model/elf-file.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import type { ElfSection } from '../model/section.js';

/**
 * Remove from FILE the sections REMOVE picks, with the relocation sections that apply to them,
 * the symbols defined in them (their section symbols) and their places in section groups.
 * Refused (ElfModelError) when a relocation left in the file refers to a symbol that goes:
 * the object would lose what that code or data means. Returns the names removed.
 */
export function removeSections(file: ElfFile, remove: (section: ElfSection) => boolean): string[] {
  const gone = new Set(file.sections.filter((s, i) => i > 0 && remove(s)));
  if (gone.size === 0) return [];
  for (const rela of file.relocationSections) if (rela.target && gone.has(rela.target)) gone.add(rela);
  const symtab = file.symtab;
  const goneSymbols = new Set(symtab?.symbols.filter((sym) => sym.section && gone.has(sym.section)) ?? []);
  for (const section of file.sections) {
    if (gone.has(section) || !(section instanceof ElfRelocationSection)) continue;
    const user = section.relocations.find((r) => r.symbol && goneSymbols.has(r.symbol));
    if (user?.symbol) {
      throw new ElfModelError(
        file.path,
        `${section.name} refers to ${user.symbol.displayName}, defined in ${user.symbol.section?.name}, which is being removed`,
      );
    }
  }
  for (const group of file.groups) {
    if (gone.has(group)) continue;
    const members = group.group.members.filter((m) => !gone.has(m));
    if (members.length !== group.group.members.length) group.group = { ...group.group, members };
  }
  if (symtab && goneSymbols.size > 0) symtab.symbols = symtab.symbols.filter((sym) => !goneSymbols.has(sym));
  file.sections = file.sections.filter((s) => !gone.has(s));
  file.invalidateIndexes();
  return [...gone].map((s) => s.name);
}
