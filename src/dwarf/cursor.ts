/**
 * A position in a DWARF section and the little-endian encodings read there (fixed-size words,
 * LEB128). 64-bit values are numbers: exact below 2^53, which every size, offset and index in
 * an object's DWARF is; larger constants (a data8 of all ones) come out inexact but large.
 */
import { DwarfFormatError } from './errors.js';

const TWO_32 = 0x100000000;

export class Cursor {
  pos: number;

  constructor(
    readonly bytes: Buffer,
    readonly section: string,
    pos = 0,
  ) {
    this.pos = pos;
  }

  /** Throws unless N more bytes are there. */
  need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      throw new DwarfFormatError(`${this.section}: read past the end at offset ${this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p] as number) | ((b[p + 1] as number) << 8);
  }

  u24(): number {
    this.need(3);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 3;
    return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16);
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (
      ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>>
      0
    );
  }

  u64(): number {
    const low = this.u32();
    const high = this.u32();
    return high * TWO_32 + low;
  }

  /** A 64-bit word as a signed number (all ones is -1). */
  i64(): number {
    const low = this.u32();
    const high = this.u32() | 0;
    return high * TWO_32 + low;
  }

  uleb(): number {
    let result = 0;
    let scale = 1;
    const b = this.bytes;
    for (;;) {
      if (this.pos >= b.length) throw new DwarfFormatError(`${this.section}: LEB128 past the end`);
      const byte = b[this.pos++] as number;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
  }

  sleb(): number {
    let result = 0;
    let scale = 1;
    const b = this.bytes;
    for (;;) {
      if (this.pos >= b.length) throw new DwarfFormatError(`${this.section}: LEB128 past the end`);
      const byte = b[this.pos++] as number;
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return byte & 0x40 ? result - scale : result;
    }
  }

  /** A word of the unit's offset size (4 in 32-bit DWARF, 8 in 64-bit DWARF). */
  offset(size: number): number {
    return size === 4 ? this.u32() : this.u64();
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Skip a NUL-terminated string; its start. */
  skipString(): number {
    const start = this.pos;
    const end = this.bytes.indexOf(0, start);
    if (end < 0) throw new DwarfFormatError(`${this.section}: unterminated string at offset ${start}`);
    this.pos = end + 1;
    return start;
  }
}

/** The NUL-terminated string at OFFSET of BYTES (latin1: DWARF names of C code are ASCII). */
export function stringAt(bytes: Buffer | undefined, offset: number, section: string): string {
  if (!bytes || offset < 0 || offset >= bytes.length) {
    throw new DwarfFormatError(`${section}: string offset ${offset} is outside the section`);
  }
  const end = bytes.indexOf(0, offset);
  return bytes.toString('latin1', offset, end < 0 ? bytes.length : end);
}
