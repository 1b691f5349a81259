import { readFile, stat } from 'node:fs/promises';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { UserError } from '../../util/errors.js';
import { ElfFile } from '../model/elf-file.js';
import { buildSections } from './build-sections.js';
import { BufferSource, FileSource, type ByteSource } from './byte-source.js';
import { readSectionHeaders } from './elfy-adapter.js';
import { FileView } from './file-view.js';
import { readHeader } from './header.js';

/** A file to read: its path, or a buffer already in memory plus the name to report it by. */
export type ElfSource = string | { path: string; buffer: Buffer };

/**
 * Files up to this size are read into memory in one go (section contents are then views of
 * that buffer); bigger ones (vmlinux with debug info) are read piecewise, only the parts
 * that are decoded.
 */
export const WHOLE_FILE_LIMIT = 32 * 1024 * 1024;

export interface ReadOptions {
  /** Read files up to this many bytes into memory at once (default WHOLE_FILE_LIMIT). */
  wholeFileLimit?: number;
}

/**
 * Reads an ELF64 little-endian x86_64 file (REL, EXEC or DYN). Only the header and the
 * section table are decoded now; section contents, symbols, relocations and groups are
 * read and decoded on first access. Any malformation, now or during a later lazy decode, is
 * reported as an ElfFormatError naming the file.
 */
export async function readElf(source: ElfSource, options: ReadOptions = {}): Promise<ElfFile> {
  if (typeof source !== 'string') return parseElf(source.buffer, source.path);
  const path = source;
  try {
    const stats = await stat(path);
    return fromSource(
      path,
      stats.size > (options.wholeFileLimit ?? WHOLE_FILE_LIMIT)
        ? new FileSource(path, stats)
        : new BufferSource(await readFile(path)),
    );
  } catch (error) {
    throw asUserError(path, error);
  }
}

/** readElf for callers that cannot await. */
export function readElfSync(source: ElfSource, options: ReadOptions = {}): ElfFile {
  if (typeof source !== 'string') return parseElf(source.buffer, source.path);
  const path = source;
  try {
    const stats: Stats = statSync(path);
    return fromSource(
      path,
      stats.size > (options.wholeFileLimit ?? WHOLE_FILE_LIMIT)
        ? new FileSource(path, stats)
        : new BufferSource(readFileSync(path)),
    );
  } catch (error) {
    throw asUserError(path, error);
  }
}

/** Parses an ELF file held in `buffer`; `path` names it in errors. */
export function parseElf(buffer: Buffer, path = '<buffer>'): ElfFile {
  return fromSource(path, new BufferSource(buffer));
}

function fromSource(path: string, source: ByteSource): ElfFile {
  const view = new FileView(path, source);
  const header = readHeader(view);
  const raws = readSectionHeaders(view, header);
  const sections = buildSections(view, raws, header.shstrndx, header.type);
  const { type, machine, osabi, abiversion, flags, entry } = header;
  return new ElfFile(path, { type, machine, osabi, abiversion, flags, entry }, sections, sections[header.shstrndx]);
}

function asUserError(path: string, error: unknown): UserError {
  if (error instanceof UserError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new UserError(`${path}: cannot read ELF file: ${reason}`, { cause: error });
}
