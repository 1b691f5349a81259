import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Where the bytes of an ELF file come from: a buffer in memory, or the file on disk. */
export interface ByteSource {
  readonly length: number;
  /** Bytes [offset, offset + size); the caller has checked the range. */
  read(offset: number, size: number): Buffer;
}

/** A whole file in memory; reads are views (no copy). */
export class BufferSource implements ByteSource {
  constructor(private readonly buffer: Buffer) {}

  get length(): number {
    return this.buffer.length;
  }

  read(offset: number, size: number): Buffer {
    return this.buffer.subarray(offset, offset + size);
  }
}

/** Thrown by FileSource when the file is no longer the one that was opened. */
export class SourceChangedError extends Error {}

/**
 * A big file read piecewise: each read opens the file, checks that its size and mtime are
 * still those seen at first, reads exactly the requested range and closes it again. Memory
 * stays proportional to what is decoded, and no file descriptor outlives a read.
 */
export class FileSource implements ByteSource {
  readonly length: number;
  private readonly mtimeMs: number;

  constructor(
    private readonly path: string,
    stats: Stats,
  ) {
    this.length = stats.size;
    this.mtimeMs = stats.mtimeMs;
  }

  read(offset: number, size: number): Buffer {
    const fd = openSync(this.path, 'r');
    try {
      const stats = fstatSync(fd);
      if (stats.size !== this.length || stats.mtimeMs !== this.mtimeMs) {
        throw new SourceChangedError('the file changed on disk while it was being read');
      }
      const out = Buffer.allocUnsafe(size);
      let done = 0;
      while (done < size) {
        const got = readSync(fd, out, done, size - done, offset + done);
        if (got === 0) throw new SourceChangedError('the file became shorter while it was being read');
        done += got;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}
