import { ElfFormatError } from '../errors.js';
import { SourceChangedError, type ByteSource } from './byte-source.js';

/**
 * Bounds-checked access to the bytes of one ELF file. Every read names what it reads so that
 * an out-of-range offset becomes an ElfFormatError saying which field was bad, never a
 * RangeError from deep inside Buffer, and never an allocation larger than the file.
 */
export class FileView {
  readonly file: string;
  private readonly source: ByteSource;

  constructor(file: string, source: ByteSource) {
    this.file = file;
    this.source = source;
  }

  get length(): number {
    return this.source.length;
  }

  fail(what: string, cause?: unknown): never {
    throw new ElfFormatError(this.file, what, cause === undefined ? {} : { cause });
  }

  /** Whether [offset, offset + size) lies inside the file. */
  inRange(offset: number, size: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(size) &&
      offset >= 0 &&
      size >= 0 &&
      offset + size <= this.length
    );
  }

  /** Throws unless [offset, offset + size) lies inside the file. */
  checkRange(offset: number, size: number, what: string): void {
    if (!this.inRange(offset, size)) this.failRange(offset, size, what);
  }

  failRange(offset: number, size: number, what: string): never {
    this.fail(`${what} (offset ${offset}, size ${size}) lies outside the file (${this.length} bytes)`);
  }

  /** The bytes of [offset, offset + size), after checking the range. */
  slice(offset: number, size: number, what: string): Buffer {
    this.checkRange(offset, size, what);
    try {
      return this.source.read(offset, size);
    } catch (error) {
      this.failRead(what, error);
    }
  }

  /**
   * The bytes of a range checked earlier. A failure (the file changed on disk since it was
   * opened, an I/O error) is thrown as is: pass it to `failRead` with a description.
   */
  readChecked(offset: number, size: number): Buffer {
    return this.source.read(offset, size);
  }

  failRead(what: string, error: unknown): never {
    if (error instanceof SourceChangedError) this.fail(`${what}: ${error.message}`, error);
    const reason = error instanceof Error ? error.message : String(error);
    this.fail(`${what}: cannot read: ${reason}`, error);
  }

  /** A 64-bit field that must fit a JS number (offsets, sizes, counts). */
  safeNumber(value: bigint, what: string): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is too large (0x${value.toString(16)})`);
    return Number(value);
  }
}
