import elfy, { type ElfySection } from 'elfy';
import { ELF64_EHDR_SIZE, ELF64_SHDR_SIZE, SHN_LORESERVE, SHT_STRTAB } from '../constants.js';
import type { FileView } from './file-view.js';
import type { RawHeader } from './header.js';
import { readI32, readSafeU64, readU32, readU64Big, smallInteger } from './words.js';

/** One section header with every field as the model needs it. */
export interface RawSectionHeader {
  index: number;
  /** sh_name: offset in the section-name string table. */
  nameOffset: number;
  type: number;
  /** sh_flags as a signed 32-bit number (a small integer even with bit 31 set; see ElfSection). */
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

const typeNumbers = new Map<string, number>(
  Object.entries(elfy.constants.sectType).map(([number, name]) => [name, Number(number)]),
);

/**
 * Decodes the section header table with elfy, wrapping its plain Errors and assertions into
 * ElfFormatError.
 *
 * elfy parses a whole-file buffer and eagerly slices every section and segment, so it is
 * given only what it should look at: the ELF header (rewritten to place the section table
 * right after it and to hide program headers) followed by the section table. It supplies
 * sh_type, sh_offset, sh_size, sh_link and sh_info. The other fields are read from the raw
 * entries because elfy cannot give them exactly for ELF64: it reads sh_addralign and
 * sh_entsize at offsets 46/54 instead of 48/56, returns sh_addr as a double (lossy for
 * kernel addresses) and turns sh_flags into a name map; names are looked up by the caller
 * (latin1, with index checks) from the raw sh_name.
 *
 * The caller (readHeader) has already checked that the table lies inside the file, that
 * e_shentsize is 64 and e_shstrndx is in range, and has taken the section count and the
 * name-table index from section 0 for files with extended section numbering.
 */
export function readSectionHeaders(view: FileView, header: RawHeader): RawSectionHeader[] {
  const table = view.slice(header.shoff, header.shnum * ELF64_SHDR_SIZE, 'section header table');
  const sections = parseWithElfy(view, header, table);

  // One plain loop, 32-bit reads and no per-entry strings: this runs for every section of
  // every file read, mostly before the JIT has warmed up.
  const raws = new Array<RawSectionHeader>(sections.length);
  for (let index = 0; index < sections.length; index++) {
    const section = sections[index] as ElfySection;
    const at = index * ELF64_SHDR_SIZE;
    if (readU32(table, at + 12) !== 0) fieldTooLarge(view, table, index, 'sh_flags', 8);
    raws[index] = {
      index,
      nameOffset: readU32(table, at),
      type: typeof section.type === 'number' ? section.type : typeNumber(view, section.type, index),
      flags: readI32(table, at + 8),
      addr: readU64Big(table, at + 16),
      offset: checkedNumber(view, section.off, index, 'sh_offset'),
      size: checkedNumber(view, section.size, index, 'sh_size'),
      link: section.link,
      info: section.info,
      addralign: safeField(view, table, index, 'sh_addralign', 48),
      entsize: safeField(view, table, index, 'sh_entsize', 56),
    };
  }
  return raws;
}

/**
 * elfy reads e_shnum as the 16-bit field and insists that e_shstrndx names a string table,
 * so it is given the table in chunks of fewer than SHN_LORESERVE entries, each followed by a
 * stand-in SHT_STRTAB entry that e_shstrndx names (the real name table is checked here, and
 * names are looked up by the caller). A file with extended section numbering (65280 or more
 * sections) takes more than one chunk; any other file takes one.
 */
function parseWithElfy(view: FileView, header: RawHeader, table: Buffer): ElfySection[] {
  const namesType = table.readUInt32LE(header.shstrndx * ELF64_SHDR_SIZE + 4);
  if (namesType !== SHT_STRTAB)
    view.fail(`section-name string table (section ${header.shstrndx}) has type ${namesType}, not SHT_STRTAB`);
  const sections: ElfySection[] = [];
  for (let first = 0; first < header.shnum; first += CHUNK_ENTRIES) {
    const count = Math.min(CHUNK_ENTRIES, header.shnum - first);
    const chunk = parseChunk(
      view,
      header,
      table.subarray(first * ELF64_SHDR_SIZE, (first + count) * ELF64_SHDR_SIZE),
      count,
    );
    for (const section of chunk) sections.push(section);
  }
  if (sections.length !== header.shnum)
    view.fail(`section table has ${sections.length} entries, the header says ${header.shnum}`);
  return sections;
}

/** Section headers elfy decodes at once, leaving room for the stand-in name table. */
const CHUNK_ENTRIES = SHN_LORESERVE - 1;

/** A section header of type SHT_STRTAB and nothing else. */
const STAND_IN_NAMES = Buffer.alloc(ELF64_SHDR_SIZE);
STAND_IN_NAMES.writeUInt32LE(SHT_STRTAB, 4);

function parseChunk(view: FileView, header: RawHeader, entries: Buffer, count: number): ElfySection[] {
  const head = Buffer.from(header.bytes);
  head.writeBigUInt64LE(0n, 32); // e_phoff
  head.writeUInt16LE(0, 56); // e_phnum
  head.writeBigUInt64LE(BigInt(ELF64_EHDR_SIZE), 40); // e_shoff: right after the header
  head.writeUInt16LE(count + 1, 60); // e_shnum
  head.writeUInt16LE(count, 62); // e_shstrndx: the stand-in
  let sections: ElfySection[];
  try {
    sections = elfy.parse(Buffer.concat([head, entries, STAND_IN_NAMES])).body.sections;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    view.fail(`malformed header or section table: ${reason}`, error);
  }
  return sections.slice(0, count);
}

function typeNumber(view: FileView, name: string, index: number): number {
  const number = typeNumbers.get(name);
  if (number === undefined)
    view.fail(`section header ${index} has a section type elfy names '${name}' but does not number`);
  return number;
}

/** elfy returns 64-bit fields as doubles; offsets and sizes must be exact. */
function checkedNumber(view: FileView, value: number, index: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) view.fail(`section header ${index} ${field} is too large (${value})`);
  return smallInteger(value);
}

function safeField(view: FileView, table: Buffer, index: number, field: string, fieldOffset: number): number {
  const value = readSafeU64(table, index * ELF64_SHDR_SIZE + fieldOffset);
  if (value < 0) fieldTooLarge(view, table, index, field, fieldOffset);
  return value;
}

function fieldTooLarge(view: FileView, table: Buffer, index: number, field: string, fieldOffset: number): never {
  const value = table.readBigUInt64LE(index * ELF64_SHDR_SIZE + fieldOffset);
  if (field === 'sh_flags')
    view.fail(`section header ${index} has sh_flags 0x${value.toString(16)} with bits above 32 set`);
  view.fail(`section header ${index} ${field} is too large (0x${value.toString(16)})`);
}
