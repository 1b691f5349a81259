import { ELF64_RELA_SIZE, ELF64_SYM_SIZE, GROUP_ENTRY_SIZE, SHN_LORESERVE, SHN_XINDEX } from '../constants.js';
import type { GroupContents } from '../model/group-section.js';
import type { Relocation } from '../model/relocation.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import { writeBigI64, writeBigU64, writeU64 } from './encode-headers.js';
import type { StringTableBuilder } from './string-table-builder.js';

// Encoders for the sections whose contents hold indexes: symbol tables, RELA sections and
// groups. Indexes come from the write plan; the model is never consulted for old indexes.

export function encodeSymbols(
  ordered: readonly ElfSymbol[],
  names: StringTableBuilder,
  sectionIndex: ReadonlyMap<ElfSection, number>,
): Buffer {
  const out = Buffer.alloc((ordered.length + 1) * ELF64_SYM_SIZE);
  ordered.forEach((symbol, i) => {
    const at = (i + 1) * ELF64_SYM_SIZE;
    out.writeUInt32LE(names.offsetOf(symbol.name), at);
    out[at + 4] = ((symbol.bind & 0xf) << 4) | (symbol.type & 0xf);
    out[at + 5] = symbol.other & 0xff;
    // A section numbered SHN_LORESERVE or above is named in the SHT_SYMTAB_SHNDX section.
    const shndx = symbol.section === undefined ? symbol.shndx : (sectionIndex.get(symbol.section) as number);
    out.writeUInt16LE(symbol.section !== undefined && shndx >= SHN_LORESERVE ? SHN_XINDEX : shndx, at + 6);
    writeBigU64(out, symbol.value, at + 8);
    writeU64(out, symbol.size, at + 16);
  });
  return out;
}

export function encodeRelocations(
  relocations: readonly Relocation[],
  symbolIndex: ReadonlyMap<ElfSymbol, number>,
): Buffer {
  const out = Buffer.alloc(relocations.length * ELF64_RELA_SIZE);
  relocations.forEach((relocation, i) => {
    const at = i * ELF64_RELA_SIZE;
    writeU64(out, relocation.offset, at);
    out.writeUInt32LE(relocation.type, at + 8);
    out.writeUInt32LE(symbolIndex.get(relocation.symbol) as number, at + 12);
    writeBigI64(out, relocation.addend, at + 16);
  });
  return out;
}

export function encodeGroup(group: GroupContents, sectionIndex: ReadonlyMap<ElfSection, number>): Buffer {
  const out = Buffer.alloc((group.members.length + 1) * GROUP_ENTRY_SIZE);
  out.writeUInt32LE(group.flags >>> 0, 0);
  group.members.forEach((member, i) =>
    out.writeUInt32LE(sectionIndex.get(member) as number, (i + 1) * GROUP_ENTRY_SIZE),
  );
  return out;
}
