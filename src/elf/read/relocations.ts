import { ELF64_RELA_SIZE, ET_REL, SHT_NOBITS } from '../constants.js';
import type { Relocation } from '../model/relocation.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import { readI64Big, readU32 } from './words.js';

/** Relocation type 0 is "none" on every architecture. */
const R_NONE = 0;

/**
 * Decodes the `bytes` of a RELA section (already checked: entsize, whole entries, symbol
 * table link, target index). Offsets become offsets inside the target section (r_offset -
 * sh_addr in executables); symbols become objects.
 *
 * Offsets are computed from 32-bit halves (no bigint arithmetic per entry, even against the
 * 0xffffffff8... addresses of vmlinux), and addends that fit 32 bits share their bigint.
 */
export function decodeRelocations(
  view: FileView,
  bytes: Buffer,
  name: string,
  target: ElfSection,
  symbols: readonly ElfSymbol[],
  fileType: number,
): Relocation[] {
  const count = bytes.length / ELF64_RELA_SIZE;
  const base = fileType === ET_REL ? 0n : target.addr;
  const baseHigh = Number(base >> 32n);
  const baseLow = Number(base & 0xffffffffn);
  const limit = target.type === SHT_NOBITS ? 0 : target.size;
  const relocations = new Array<Relocation>(count);
  for (let i = 0; i < count; i++) {
    const at = i * ELF64_RELA_SIZE;
    const type = readU32(bytes, at + 8);
    const rawLow = readU32(bytes, at);
    const rawHigh = readU32(bytes, at + 4);
    // An all-zero R_*_NONE entry has no place: the kernel's sorttable clears the relocations
    // of the tables it sorts in vmlinux (e.g. __ex_table) this way. It stays at offset 0.
    const cleared = type === R_NONE && rawLow === 0 && rawHigh === 0;
    // Exact: both differences are far below 2^53 in magnitude. (No multiplication when the
    // high words agree, as they do in objects: it would make every offset a heap number.)
    const highDifference = rawHigh - baseHigh;
    const lowDifference = rawLow - baseLow;
    const offset = cleared ? 0 : highDifference === 0 ? lowDifference : highDifference * 0x100000000 + lowDifference;
    const symbolIndex = readU32(bytes, at + 12);
    const symbol = symbols[symbolIndex];
    if (symbol === undefined) {
      view.fail(`relocation ${i} of ${name} refers to symbol ${symbolIndex}, but the symbol table has ${symbols.length}`);
    }
    if (offset < 0 || (offset >= limit && !(offset === 0 && type === R_NONE))) {
      const relative = bytes.readBigUInt64LE(at) - base;
      view.fail(`relocation ${i} of ${name} applies at offset ${relative}, outside ${target.name} (${limit} bytes)`);
    }
    relocations[i] = { offset, type, symbol, addend: readI64Big(bytes, at + 16) };
  }
  return relocations;
}
