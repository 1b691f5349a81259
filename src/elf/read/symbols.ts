import { ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX } from '../constants.js';
import type { ElfSection } from '../model/section.js';
import { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import type { StringTableReader } from './string-table.js';

/** st_size words above this high half would not fit a JS number exactly. */
const MAX_SAFE_HIGH_WORD = 0x1fffff;

/**
 * Decodes every entry of a symbol table (`bytes`, already checked: entsize 24, whole
 * entries, a linked string table). Section indexes become section objects.
 * This is the hot loop of reading vmlinux: nothing is allocated per symbol but the symbol,
 * its name and its value (no closures, no message strings unless something is wrong).
 */
export function decodeSymbols(
  view: FileView,
  bytes: Buffer,
  tableName: string,
  names: StringTableReader,
  sections: readonly ElfSection[],
  fileType: number,
): ElfSymbol[] {
  const count = bytes.length / ELF64_SYM_SIZE;
  const symbols = new Array<ElfSymbol>(count);
  for (let i = 0; i < count; i++) {
    const at = i * ELF64_SYM_SIZE;
    const info = bytes[at + 4] as number;
    const shndx = bytes.readUInt16LE(at + 6);
    const sizeHigh = bytes.readUInt32LE(at + 20);
    if (sizeHigh > MAX_SAFE_HIGH_WORD) view.fail(`symbol ${i} of ${tableName} has st_size 0x${bytes.readBigUInt64LE(at + 16).toString(16)}, too large`);
    let section: ElfSection | undefined;
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) {
      section = sections[shndx];
      if (section === undefined) view.fail(`symbol ${i} of ${tableName} refers to section ${shndx}, but there are only ${sections.length} sections`);
    } else if (shndx === SHN_XINDEX) {
      view.fail(`symbol ${i} of ${tableName} uses SHN_XINDEX (extended section indexes are not supported)`);
    }
    const nameIndex = bytes.readUInt32LE(at);
    const name = names.lookup(nameIndex);
    if (name === undefined) view.fail(`symbol ${i} of ${tableName} ${names.problem(nameIndex)}`);
    const symbol = new ElfSymbol({
      name,
      value: bytes.readBigUInt64LE(at + 8),
      size: sizeHigh * 0x100000000 + bytes.readUInt32LE(at + 16),
      type: info & 0xf,
      bind: info >> 4,
      other: bytes[at + 5] as number,
      shndx,
      section,
    });
    symbol.index = i;
    symbol.fileType = fileType;
    symbols[i] = symbol;
  }
  return symbols;
}
