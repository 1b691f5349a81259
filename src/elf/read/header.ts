import {
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELF_MAGIC,
  ELFCLASS64,
  ELFDATA2LSB,
  EM_X86_64,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  EV_CURRENT,
  SHN_XINDEX,
} from '../constants.js';
import type { ElfHeader } from '../model/elf-file.js';
import type { FileView } from './file-view.js';

/** The ELF header as read, before the section table is decoded. */
export interface RawHeader extends ElfHeader {
  shoff: number;
  shnum: number;
  shstrndx: number;
  /** The 64 header bytes. */
  bytes: Buffer;
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
  const head = view.slice(0, Math.min(view.length, ELF64_EHDR_SIZE), 'ELF header');
  if (head.length < 4 || !head.subarray(0, 4).equals(ELF_MAGIC)) view.fail('not an ELF file (bad magic)');
  if (head.length < ELF64_EHDR_SIZE) view.fail(`truncated ELF header (${head.length} bytes, need ${ELF64_EHDR_SIZE})`);
  if (head[4] !== ELFCLASS64) view.fail(`unsupported ELF class ${head[4]} (only ELF64 is supported)`);
  if (head[5] !== ELFDATA2LSB) view.fail(`unsupported data encoding ${head[5]} (only little-endian is supported)`);
  if (head[6] !== EV_CURRENT) view.fail(`unsupported ELF identification version ${head[6]}`);

  const type = head.readUInt16LE(16);
  if (!READABLE_TYPES.has(type)) view.fail(`unsupported ELF type ${type} (expected REL, EXEC or DYN)`);
  const machine = head.readUInt16LE(18);
  if (machine !== EM_X86_64) view.fail(`unsupported machine ${machine} (only x86_64, ${EM_X86_64}, is supported)`);

  const shoff = view.safeNumber(head.readBigUInt64LE(40), 'e_shoff');
  const shentsize = head.readUInt16LE(58);
  if (shoff === 0) view.fail('no section header table');
  if (shentsize !== ELF64_SHDR_SIZE) view.fail(`e_shentsize is ${shentsize}, expected ${ELF64_SHDR_SIZE}`);
  const { shnum, shstrndx } = sectionCounts(view, head, shoff);
  view.checkRange(shoff, shnum * ELF64_SHDR_SIZE, 'section header table');
  if (shstrndx >= shnum) view.fail(`e_shstrndx ${shstrndx} is not below e_shnum ${shnum}`);

  return {
    type,
    machine,
    osabi: head[7] as number,
    abiversion: head[8] as number,
    flags: head.readUInt32LE(48),
    entry: head.readBigUInt64LE(24),
    shoff,
    shnum,
    shstrndx,
    bytes: head,
  };
}

/**
 * e_shnum and e_shstrndx, taking extended section numbering into account: a file with
 * SHN_LORESERVE (0xff00) sections or more has e_shnum 0 and the count in section 0's sh_size,
 * and a section-name table at index SHN_LORESERVE or above has e_shstrndx SHN_XINDEX and
 * the index in section 0's sh_link.
 */
function sectionCounts(view: FileView, head: Buffer, shoff: number): { shnum: number; shstrndx: number } {
  let shnum = head.readUInt16LE(60);
  let shstrndx = head.readUInt16LE(62);
  if (shnum !== 0 && shstrndx !== SHN_XINDEX) return { shnum, shstrndx };
  const first = view.slice(shoff, ELF64_SHDR_SIZE, 'section header 0 (extended section numbering)');
  if (shnum === 0) {
    shnum = view.safeNumber(
      first.readBigUInt64LE(32),
      'section count (sh_size of section 0, extended section numbering)',
    );
    if (shnum === 0)
      view.fail('e_shnum is 0 and section 0 has sh_size 0: no section count (extended section numbering)');
  }
  if (shstrndx === SHN_XINDEX) shstrndx = first.readUInt32LE(40);
  return { shnum, shstrndx };
}
