import { ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX } from '../constants.js';
import type { ElfSection } from '../model/section.js';
import { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import type { RawSectionHeader } from './elfy-adapter.js';
import { StringTableReader } from './string-table.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Decodes every entry of a symbol table section (already checked: entsize, size multiple of
 * 24, link to a string table inside the file). Section indexes become section objects.
 */
export function decodeSymbols(
  view: FileView,
  table: RawSectionHeader,
  tableName: string,
  strings: RawSectionHeader,
  sections: readonly ElfSection[],
  fileType: number,
): ElfSymbol[] {
  const names = new StringTableReader(view, strings.offset, strings.size, `string table of ${tableName}`);
  const buffer = view.buffer;
  const count = table.size / ELF64_SYM_SIZE;
  const symbols = new Array<ElfSymbol>(count);
  for (let i = 0; i < count; i++) {
    const at = table.offset + i * ELF64_SYM_SIZE;
    const what = `symbol ${i} of ${tableName}`;
    const info = buffer[at + 4] as number;
    const shndx = buffer.readUInt16LE(at + 6);
    const size = buffer.readBigUInt64LE(at + 16);
    if (size > MAX_SAFE) view.fail(`${what} has st_size 0x${size.toString(16)}, too large`);
    const symbol = new ElfSymbol({
      name: names.get(buffer.readUInt32LE(at), what),
      value: buffer.readBigUInt64LE(at + 8),
      size: Number(size),
      type: info & 0xf,
      bind: info >> 4,
      other: buffer[at + 5] as number,
      shndx,
      section: shndx === SHN_UNDEF || shndx >= SHN_LORESERVE ? undefined : sectionAt(view, sections, shndx, what),
    });
    if (shndx === SHN_XINDEX) view.fail(`${what} uses SHN_XINDEX (extended section indexes are not supported)`);
    symbol.index = i;
    symbol.fileType = fileType;
    symbols[i] = symbol;
  }
  return symbols;
}

function sectionAt(view: FileView, sections: readonly ElfSection[], index: number, what: string): ElfSection {
  const section = sections[index];
  if (section === undefined) view.fail(`${what} refers to section ${index}, but there are only ${sections.length} sections`);
  return section;
}
