/**
 * The DWARF sections of an ELF file as a reader needs them: decompressed (SHF_COMPRESSED: zlib, zstd)
 * and, in a relocatable object, with their relocations applied. In a .o file the string and
 * section offsets of .debug_info (DW_FORM_strp, line_strp, sec_offset) are zero in the bytes
 * and held by the relocations' addends against the section symbol of .debug_str and the like.
 */
import * as zlib from 'node:zlib';
import { R_X86_64_32, R_X86_64_32S, R_X86_64_64 } from '../arch/x86_64/relocations.js';
import { ELF64_CHDR_SIZE, ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD, SHF_COMPRESSED } from '../elf/constants.js';
import { ElfRelocationSection } from '../elf/model/relocation-section.js';
import type { ElfSection } from '../elf/model/section.js';
import type { ElfSymbol } from '../elf/model/symbol.js';
import { readU32 } from '../elf/read/words.js';
import { DwarfFormatError } from './errors.js';

export interface DwarfSections {
  info: Buffer;
  abbrev: Buffer;
  str: Buffer | undefined;
  lineStr: Buffer | undefined;
  strOffsets: Buffer | undefined;
}

/** zstd, in Node.js from 22.15 on. */
const zstdDecompress = (zlib as { zstdDecompressSync?: (data: Buffer) => Buffer }).zstdDecompressSync;

function decompressed(section: ElfSection): Buffer {
  const data = section.data;
  if (!section.hasFlag(SHF_COMPRESSED)) return data;
  if (data.length < ELF64_CHDR_SIZE) throw new DwarfFormatError(`${section.name}: compressed, without a header`);
  const type = readU32(data, 0);
  const compressed = data.subarray(ELF64_CHDR_SIZE);
  if (type === ELFCOMPRESS_ZLIB) return zlib.inflateSync(compressed);
  if (type !== ELFCOMPRESS_ZSTD) throw new DwarfFormatError(`${section.name}: compressed with unknown type ${type}`);
  if (!zstdDecompress)
    throw new DwarfFormatError(`${section.name}: compressed with zstd, which this Node.js cannot read`);
  return zstdDecompress(compressed);
}

/** The contents of SECTION with the relocations of RELA (if any) written into a copy. */
function relocated(section: ElfSection, rela: ElfRelocationSection | undefined): Buffer {
  const data = decompressed(section);
  if (!rela) return data;
  const bytes = data === section.data ? Buffer.from(data) : data;
  // Nearly every entry refers to one of a few section symbols: convert each one's value once.
  let lastSymbol: ElfSymbol | undefined;
  let lastValue = 0;
  rela.mapEntries((offset, type, symbol, addend) => {
    if (symbol !== lastSymbol) {
      lastSymbol = symbol;
      lastValue = Number(symbol.value);
    }
    const value = lastValue + addend;
    if (type === R_X86_64_32 || type === R_X86_64_32S) {
      if (offset + 4 > bytes.length) throw new DwarfFormatError(`${rela.name}: relocation at ${offset} is outside`);
      bytes.writeUInt32LE(value >>> 0, offset);
    } else if (type === R_X86_64_64) {
      if (offset + 8 > bytes.length) throw new DwarfFormatError(`${rela.name}: relocation at ${offset} is outside`);
      bytes.writeUInt32LE(value >>> 0, offset);
      bytes.writeUInt32LE(Math.floor(value / 0x100000000) >>> 0, offset + 4);
    }
    // Other types (none in gcc's DWARF of x86_64 objects) hold nothing the reader uses.
    return 0;
  });
  return bytes;
}

/**
 * The DWARF sections among SECTIONS (every section of one file), or undefined when it has no
 * .debug_info (built without -g). Throws DwarfFormatError when they cannot be read.
 */
export function dwarfSections(sections: readonly ElfSection[]): DwarfSections | undefined {
  const byName = new Map<string, ElfSection>();
  const relaOf = new Map<ElfSection, ElfRelocationSection>();
  for (const section of sections) {
    if (!section.name.startsWith('.debug_') && !section.name.startsWith('.rela.debug_')) continue;
    if (section instanceof ElfRelocationSection) relaOf.set(section.target, section);
    else if (!byName.has(section.name)) byName.set(section.name, section);
  }
  const read = (name: string): Buffer | undefined => {
    const section = byName.get(name);
    return section ? relocated(section, relaOf.get(section)) : undefined;
  };
  const info = read('.debug_info');
  if (!info) return undefined;
  const abbrev = read('.debug_abbrev');
  if (!abbrev) throw new DwarfFormatError('.debug_info without .debug_abbrev');
  return {
    info,
    abbrev,
    str: read('.debug_str'),
    lineStr: read('.debug_line_str'),
    strOffsets: read('.debug_str_offsets'),
  };
}
