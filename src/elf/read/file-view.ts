import { ElfFormatError } from '../errors.js';

/**
 * A bounds-checked view of a whole ELF file. Every read names what it reads so that an
 * out-of-range offset becomes an ElfFormatError saying which field was bad, never a
 * RangeError from deep inside Buffer.
 */
export class FileView {
  readonly file: string;
  readonly buffer: Buffer;

  constructor(file: string, buffer: Buffer) {
    this.file = file;
    this.buffer = buffer;
  }

  get length(): number {
    return this.buffer.length;
  }

  fail(what: string, cause?: unknown): never {
    throw new ElfFormatError(this.file, what, cause === undefined ? {} : { cause });
  }

  /** Throws unless [offset, offset + size) lies inside the file. */
  checkRange(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.buffer.length) {
      this.fail(`${what} (offset ${offset}, size ${size}) lies outside the file (${this.buffer.length} bytes)`);
    }
  }

  /** A view (no copy) of [offset, offset + size), after checking the range. */
  slice(offset: number, size: number, what: string): Buffer {
    this.checkRange(offset, size, what);
    return this.buffer.subarray(offset, offset + size);
  }

  u8(offset: number, what: string): number {
    this.checkRange(offset, 1, what);
    return this.buffer[offset] as number;
  }

  u16(offset: number, what: string): number {
    this.checkRange(offset, 2, what);
    return this.buffer.readUInt16LE(offset);
  }

  u32(offset: number, what: string): number {
    this.checkRange(offset, 4, what);
    return this.buffer.readUInt32LE(offset);
  }

  u64(offset: number, what: string): bigint {
    this.checkRange(offset, 8, what);
    return this.buffer.readBigUInt64LE(offset);
  }

  /** A 64-bit field that must fit a JS number (offsets, sizes, counts). */
  u64Number(offset: number, what: string): number {
    const value = this.u64(offset, what);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is too large (0x${value.toString(16)})`);
    return Number(value);
  }
}
