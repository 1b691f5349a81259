import elfy, { type ElfySection } from 'elfy';
import { ELF64_SHDR_SIZE } from '../constants.js';
import type { FileView } from './file-view.js';
import type { RawHeader } from './header.js';

/** One section header with every field as the model needs it. */
export interface RawSectionHeader {
  index: number;
  /** sh_name: offset in the section-name string table. */
  nameOffset: number;
  type: number;
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
 * ElfFormatError. elfy supplies sh_type, sh_offset, sh_size, sh_link and sh_info. The other
 * fields are read from the raw entry because elfy cannot give them exactly for ELF64:
 * it reads sh_addralign and sh_entsize at offsets 46/54 instead of 48/56, returns sh_addr as
 * a double (lossy for kernel addresses), turns sh_flags into a name map, and keeps only the
 * resolved (UTF-8 decoded) name where the model needs the raw sh_name offset.
 *
 * The caller (readHeader) has already checked that the table lies inside the file and that
 * e_shentsize is 64, so elfy only sees tables it can index.
 */
export function readSectionHeaders(view: FileView, header: RawHeader): RawSectionHeader[] {
  if (header.shnum === 0) view.fail('no section header table');
  let sections: ElfySection[];
  try {
    sections = elfy.parse(view.buffer).body.sections;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    view.fail(`malformed header or section table: ${reason}`, error);
  }
  if (sections.length !== header.shnum) view.fail(`section table has ${sections.length} entries, e_shnum says ${header.shnum}`);

  return sections.map((section, index) => {
    const at = header.shoff + index * ELF64_SHDR_SIZE;
    const what = `section header ${index}`;
    const flags = view.u64(at + 8, `${what} sh_flags`);
    if (flags > 0xffffffffn) view.fail(`${what} has sh_flags 0x${flags.toString(16)} with bits above 32 set`);
    return {
      index,
      nameOffset: view.u32(at, `${what} sh_name`),
      type: typeof section.type === 'number' ? section.type : typeNumber(view, section.type, what),
      flags: Number(flags),
      addr: view.u64(at + 16, `${what} sh_addr`),
      offset: checkedNumber(view, section.off, `${what} sh_offset`),
      size: checkedNumber(view, section.size, `${what} sh_size`),
      link: section.link,
      info: section.info,
      addralign: view.u64Number(at + 48, `${what} sh_addralign`),
      entsize: view.u64Number(at + 56, `${what} sh_entsize`),
    };
  });
}

function typeNumber(view: FileView, name: string, what: string): number {
  const number = typeNumbers.get(name);
  if (number === undefined) view.fail(`${what} has a section type elfy names '${name}' but does not number`);
  return number;
}

/** elfy returns 64-bit fields as doubles; offsets and sizes must be exact. */
function checkedNumber(view: FileView, value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) view.fail(`${what} is too large (${value})`);
  return value;
}
