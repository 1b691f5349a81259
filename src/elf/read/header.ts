import {
  ELF64_EHDR_SIZE, ELF64_SHDR_SIZE, ELF_MAGIC, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_DYN, ET_EXEC, ET_REL,
  EV_CURRENT, SHN_XINDEX,
} from '../constants.js';
import type { ElfHeader } from '../model/elf-file.js';
import type { FileView } from './file-view.js';

/** The ELF header as read, before the section table is decoded. */
export interface RawHeader extends ElfHeader {
  shoff: number;
  shnum: number;
  shstrndx: number;
}

const READABLE_TYPES = new Map([
  [ET_REL, 'REL'],
  [ET_EXEC, 'EXEC'],
  [ET_DYN, 'DYN'],
]);

/**
 * Checks the identification bytes and the header fields the rest of the reader relies on,
 * so that only ELF64 little-endian x86_64 files with a sane section table go further.
 */
export function readHeader(view: FileView): RawHeader {
  const buf = view.buffer;
  if (buf.length < 4 || !buf.subarray(0, 4).equals(ELF_MAGIC)) view.fail('not an ELF file (bad magic)');
  if (buf.length < ELF64_EHDR_SIZE) view.fail(`truncated ELF header (${buf.length} bytes, need ${ELF64_EHDR_SIZE})`);
  if (buf[4] !== ELFCLASS64) view.fail(`unsupported ELF class ${buf[4]} (only ELF64 is supported)`);
  if (buf[5] !== ELFDATA2LSB) view.fail(`unsupported data encoding ${buf[5]} (only little-endian is supported)`);
  if (buf[6] !== EV_CURRENT) view.fail(`unsupported ELF identification version ${buf[6]}`);

  const type = view.u16(16, 'e_type');
  if (!READABLE_TYPES.has(type)) view.fail(`unsupported ELF type ${type} (expected REL, EXEC or DYN)`);
  const machine = view.u16(18, 'e_machine');
  if (machine !== EM_X86_64) view.fail(`unsupported machine ${machine} (only x86_64, ${EM_X86_64}, is supported)`);

  const shoff = view.u64Number(40, 'e_shoff');
  const shentsize = view.u16(58, 'e_shentsize');
  const shnum = view.u16(60, 'e_shnum');
  const shstrndx = view.u16(62, 'e_shstrndx');
  if (shoff !== 0 && shnum === 0) view.fail('extended section numbering (65280 or more sections) is not supported');
  if (shstrndx === SHN_XINDEX) view.fail('extended section-name index (SHN_XINDEX) is not supported');
  if (shnum > 0) {
    if (shentsize !== ELF64_SHDR_SIZE) view.fail(`e_shentsize is ${shentsize}, expected ${ELF64_SHDR_SIZE}`);
    view.checkRange(shoff, shnum * ELF64_SHDR_SIZE, 'section header table');
    if (shstrndx >= shnum) view.fail(`e_shstrndx ${shstrndx} is not below e_shnum ${shnum}`);
  }

  return {
    type,
    machine,
    osabi: buf[7] as number,
    abiversion: buf[8] as number,
    flags: view.u32(48, 'e_flags'),
    entry: view.u64(24, 'e_entry'),
    shoff,
    shnum,
    shstrndx,
  };
}
