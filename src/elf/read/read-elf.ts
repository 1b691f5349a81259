import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.js';
import { ElfFile } from '../model/elf-file.js';
import { buildSections } from './build-sections.js';
import { readSectionHeaders } from './elfy-adapter.js';
import { FileView } from './file-view.js';
import { readHeader } from './header.js';

/** A file to read: its path, or a buffer already in memory plus the name to report it by. */
export type ElfSource = string | { path: string; buffer: Buffer };

/**
 * Reads an ELF64 little-endian x86_64 file (REL, EXEC or DYN). Only the header and the
 * section table are decoded now; section contents are views of the file buffer and symbols,
 * relocations and groups are decoded on first access. Any malformation, now or during a
 * later lazy decode, is reported as an ElfFormatError.
 */
export async function readElf(source: ElfSource): Promise<ElfFile> {
  if (typeof source !== 'string') return parseElf(source.buffer, source.path);
  return parseElf(await readWhole(source, () => readFile(source)), source);
}

/** readElf for callers that cannot await. */
export function readElfSync(source: ElfSource): ElfFile {
  if (typeof source !== 'string') return parseElf(source.buffer, source.path);
  return parseElf(readWholeSync(source), source);
}

/** Parses an ELF file held in `buffer`; `path` names it in errors. */
export function parseElf(buffer: Buffer, path = '<buffer>'): ElfFile {
  const view = new FileView(path, buffer);
  const header = readHeader(view);
  const raws = readSectionHeaders(view, header);
  const sections = buildSections(view, raws, header.shstrndx, header.type);
  const { type, machine, osabi, abiversion, flags, entry } = header;
  return new ElfFile(path, { type, machine, osabi, abiversion, flags, entry }, sections, sections[header.shstrndx]);
}

async function readWhole(path: string, read: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await read();
  } catch (error) {
    throw cannotRead(path, error);
  }
}

function readWholeSync(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw cannotRead(path, error);
  }
}

function cannotRead(path: string, error: unknown): UserError {
  const reason = error instanceof Error ? error.message : String(error);
  return new UserError(`${path}: cannot read ELF file: ${reason}`, { cause: error });
}
