import { SHN_LORESERVE, SHT_SYMTAB_SHNDX, SYMTAB_SHNDX_ENTRY_SIZE } from '../constants.js';
import { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { ElfSymbolTable } from '../model/symbol-table.js';

// Extended section indexes in the symbol table: st_shndx has 16 bits, so a symbol defined in
// a section numbered SHN_LORESERVE (0xff00) or above gets st_shndx SHN_XINDEX and its index
// in the same entry of the SHT_SYMTAB_SHNDX section that links to the symbol table.

/**
 * The output sections (all but the null section) with the SHT_SYMTAB_SHNDX section the
 * symbols need: the model's own (at most one, linked to `symtab`) stays where it is; without
 * one, a `.symtab_shndx` goes right after the symbol table, as binutils places it, when a
 * symbol's section would be numbered SHN_LORESERVE or above.
 */
export function withExtendedIndexSection(
  sections: readonly ElfSection[],
  symtab: ElfSymbolTable | undefined,
  fail: (what: string) => never,
): { sections: ElfSection[]; extendedIndexes: ElfSection | undefined } {
  const own = sections.filter((s) => s.type === SHT_SYMTAB_SHNDX);
  if (own.length > 1) fail('more than one SHT_SYMTAB_SHNDX section');
  const existing = own[0];
  if (existing !== undefined) {
    if (symtab === undefined || existing.link !== symtab)
      fail(`section ${existing.name} (SHT_SYMTAB_SHNDX) must link to the symbol table`);
    return { sections: sections.slice(), extendedIndexes: existing };
  }
  if (symtab === undefined || !needsExtendedIndexes(sections, symtab.symbols))
    return { sections: sections.slice(), extendedIndexes: undefined };
  const created = new ElfSection({
    name: '.symtab_shndx',
    type: SHT_SYMTAB_SHNDX,
    link: symtab,
    addralign: SYMTAB_SHNDX_ENTRY_SIZE,
    entsize: SYMTAB_SHNDX_ENTRY_SIZE,
  });
  const at = sections.indexOf(symtab) + 1;
  return { sections: [...sections.slice(0, at), created, ...sections.slice(at)], extendedIndexes: created };
}

/** Whether a symbol's section has an output index (position + 1) of SHN_LORESERVE or above. */
function needsExtendedIndexes(sections: readonly ElfSection[], symbols: readonly ElfSymbol[]): boolean {
  if (sections.length + 1 <= SHN_LORESERVE) return false;
  const high = new Set(sections.slice(SHN_LORESERVE - 1));
  return symbols.some((symbol) => symbol.section !== undefined && high.has(symbol.section));
}

/** The contents of the SHT_SYMTAB_SHNDX section for the symbols in output order (entry 0 is the null symbol's). */
export function encodeExtendedIndexes(
  ordered: readonly ElfSymbol[],
  sectionIndex: ReadonlyMap<ElfSection, number>,
): Buffer {
  const out = Buffer.alloc((ordered.length + 1) * SYMTAB_SHNDX_ENTRY_SIZE);
  ordered.forEach((symbol, i) => {
    const index = symbol.section === undefined ? 0 : (sectionIndex.get(symbol.section) as number);
    if (index >= SHN_LORESERVE) out.writeUInt32LE(index, (i + 1) * SYMTAB_SHNDX_ENTRY_SIZE);
  });
  return out;
}
