import {
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELF_MAGIC,
  ELFCLASS64,
  ELFDATA2LSB,
  ET_REL,
  EV_CURRENT,
  SHN_LORESERVE,
  SHN_XINDEX,
  SHT_NULL,
} from '../constants.js';
import type { ElfHeader } from '../model/elf-file.js';

/** One section header as laid out in the output. */
export interface SectionHeaderFields {
  name: number;
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

/**
 * The ELF header. With SHN_LORESERVE sections or more, e_shnum is 0 and with a name table
 * numbered SHN_LORESERVE or above, e_shstrndx is SHN_XINDEX: the values then go to section
 * 0 (see writeNullSectionHeader).
 */
export function writeElfHeader(out: Buffer, header: ElfHeader, shoff: number, shnum: number, shstrndx: number): void {
  ELF_MAGIC.copy(out, 0);
  out[4] = ELFCLASS64;
  out[5] = ELFDATA2LSB;
  out[6] = EV_CURRENT;
  out[7] = header.osabi;
  out[8] = header.abiversion;
  out.writeUInt16LE(ET_REL, 16);
  out.writeUInt16LE(header.machine, 18);
  out.writeUInt32LE(EV_CURRENT, 20);
  out.writeBigUInt64LE(0n, 24); // e_entry
  out.writeBigUInt64LE(0n, 32); // e_phoff
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt32LE(header.flags >>> 0, 48);
  out.writeUInt16LE(ELF64_EHDR_SIZE, 52);
  out.writeUInt16LE(0, 54); // e_phentsize
  out.writeUInt16LE(0, 56); // e_phnum
  out.writeUInt16LE(ELF64_SHDR_SIZE, 58);
  out.writeUInt16LE(shnum >= SHN_LORESERVE ? 0 : shnum, 60);
  out.writeUInt16LE(shstrndx >= SHN_LORESERVE ? SHN_XINDEX : shstrndx, 62);
}

/** Section 0: all zero, but for the section count (sh_size) and name-table index (sh_link) of extended numbering. */
export function writeNullSectionHeader(out: Buffer, at: number, shnum: number, shstrndx: number): void {
  writeSectionHeader(out, at, {
    name: 0,
    type: SHT_NULL,
    flags: 0,
    addr: 0n,
    offset: 0,
    info: 0,
    addralign: 0,
    entsize: 0,
    size: shnum >= SHN_LORESERVE ? shnum : 0,
    link: shstrndx >= SHN_LORESERVE ? shstrndx : 0,
  });
}

export function writeSectionHeader(out: Buffer, at: number, fields: SectionHeaderFields): void {
  out.writeUInt32LE(fields.name, at);
  out.writeUInt32LE(fields.type >>> 0, at + 4);
  writeU64(out, fields.flags >>> 0, at + 8);
  writeBigU64(out, fields.addr, at + 16);
  writeU64(out, fields.offset, at + 24);
  writeU64(out, fields.size, at + 32);
  out.writeUInt32LE(fields.link, at + 40);
  out.writeUInt32LE(fields.info >>> 0, at + 44);
  writeU64(out, fields.addralign, at + 48);
  writeU64(out, fields.entsize, at + 56);
}

/** A non-negative safe integer as a 64-bit field, without a detour through BigInt. */
export function writeU64(out: Buffer, value: number, at: number): void {
  out.writeUInt32LE(value % 0x100000000, at);
  out.writeUInt32LE(Math.floor(value / 0x100000000), at + 4);
}

/** An unsigned 64-bit bigint field; small values (offsets in objects) skip the BigInt arithmetic of Buffer's writer. */
export function writeBigU64(out: Buffer, value: bigint, at: number): void {
  if (value >= 0n && value <= 0xffffffffn) writeU64(out, Number(value), at);
  else out.writeBigUInt64LE(value, at);
}

/** A signed 64-bit bigint field (addends); those that fit 32 bits skip the BigInt arithmetic. */
export function writeBigI64(out: Buffer, value: bigint, at: number): void {
  if (value >= -0x80000000n && value <= 0x7fffffffn) {
    const low = Number(value);
    out.writeInt32LE(low, at);
    out.writeInt32LE(low < 0 ? -1 : 0, at + 4);
  } else {
    out.writeBigInt64LE(value, at);
  }
}
