import { ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SYMTAB_SHNDX_ENTRY_SIZE } from '../constants.js';
import type { ElfSection } from '../model/section.js';
import { ElfSymbol, type SymbolInit } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import type { StringTableReader } from './string-table.js';
import { readSafeU64, readU16, readU32, readU64Big } from './words.js';

/**
 * Decodes every entry of a symbol table (`bytes`, already checked: entsize 24, whole
 * entries, a linked string table). Section indexes become section objects; a symbol whose
 * st_shndx is SHN_XINDEX finds its section index in the same entry of `extendedIndexes`, the
 * table's SHT_SYMTAB_SHNDX section (checked to have one entry per symbol), and keeps
 * SHN_XINDEX as its `shndx`.
 * This is the hot loop of reading vmlinux: nothing is allocated per symbol but the symbol,
 * its name and its value (no init object, no closures, no message strings unless something
 * is wrong; small values share their bigint).
 */
export function decodeSymbols(
  view: FileView,
  bytes: Buffer,
  tableName: string,
  names: StringTableReader,
  sections: readonly ElfSection[],
  fileType: number,
  extendedIndexes?: Buffer,
): ElfSymbol[] {
  const count = bytes.length / ELF64_SYM_SIZE;
  const symbols = new Array<ElfSymbol>(count);
  // One init object for all symbols: the constructor copies its fields.
  const init: SymbolInit & { section: ElfSection | undefined } = {
    name: '',
    value: 0n,
    size: 0,
    type: 0,
    bind: 0,
    other: 0,
    shndx: 0,
    section: undefined,
  };
  for (let i = 0; i < count; i++) {
    const at = i * ELF64_SYM_SIZE;
    const info = bytes[at + 4] as number;
    const shndx = readU16(bytes, at + 6);
    const size = readSafeU64(bytes, at + 16);
    if (size < 0)
      view.fail(`symbol ${i} of ${tableName} has st_size 0x${bytes.readBigUInt64LE(at + 16).toString(16)}, too large`);
    let section: ElfSection | undefined;
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) {
      section = sections[shndx];
      if (section === undefined)
        view.fail(
          `symbol ${i} of ${tableName} refers to section ${shndx}, but there are only ${sections.length} sections`,
        );
    } else if (shndx === SHN_XINDEX) {
      section = extendedSection(view, i, tableName, sections, extendedIndexes);
    }
    const nameIndex = readU32(bytes, at);
    const name = names.lookup(nameIndex);
    if (name === undefined) view.fail(`symbol ${i} of ${tableName} ${names.problem(nameIndex)}`);
    init.name = name;
    init.value = readU64Big(bytes, at + 8);
    init.size = size;
    init.type = info & 0xf;
    init.bind = info >> 4;
    init.other = bytes[at + 5] as number;
    init.shndx = shndx;
    init.section = section;
    const symbol = new ElfSymbol(init);
    symbol.index = i;
    symbol.fileType = fileType;
    symbols[i] = symbol;
  }
  return symbols;
}

/** The section of symbol `i`, whose st_shndx is SHN_XINDEX. */
function extendedSection(
  view: FileView,
  i: number,
  tableName: string,
  sections: readonly ElfSection[],
  extendedIndexes: Buffer | undefined,
): ElfSection {
  if (extendedIndexes === undefined)
    view.fail(`symbol ${i} of ${tableName} uses SHN_XINDEX, but ${tableName} has no SHT_SYMTAB_SHNDX section`);
  const index = readU32(extendedIndexes, i * SYMTAB_SHNDX_ENTRY_SIZE);
  const section = index === SHN_UNDEF ? undefined : sections[index];
  if (section === undefined)
    view.fail(
      `symbol ${i} of ${tableName} has the extended section index ${index} (SHT_SYMTAB_SHNDX), which is not a section`,
    );
  return section;
}
