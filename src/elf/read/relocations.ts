import { ELF64_CHDR_SIZE, ELF64_RELA_SIZE, ET_REL, SHF_COMPRESSED, SHT_NOBITS } from '../constants.js';
import type { Relocation, RelocationMaker } from '../model/relocation.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import type { FileView } from './file-view.js';
import { readI32, readI64Big, readSafeU64, readU32 } from './words.js';

/** Relocation type 0 is "none" on every architecture. */
const R_NONE = 0;

/**
 * Reads the entries of a RELA section's `bytes` (already checked: entsize, whole entries,
 * symbol table link, target index) one at a time into its fields, checking each against the
 * target section and the symbol table. One call per entry and no allocation: both decoders
 * below run it over every relocation of every file they read.
 *
 * Offsets become offsets inside the target section (r_offset - sh_addr in executables),
 * computed from 32-bit halves: no bigint arithmetic per entry, even against the
 * 0xffffffff8... addresses of vmlinux.
 */
class RelocationCursor {
  readonly count: number;
  /** The fields of the entry last read. */
  offset = 0;
  type = 0;
  symbol: ElfSymbol | undefined;
  private readonly base: bigint;
  private readonly baseHigh: number;
  private readonly baseLow: number;
  private readonly limit: number;

  constructor(
    private readonly view: FileView,
    private readonly bytes: Buffer,
    private readonly name: string,
    private readonly target: ElfSection,
    private readonly symbols: readonly ElfSymbol[],
    fileType: number,
  ) {
    this.count = bytes.length / ELF64_RELA_SIZE;
    this.base = fileType === ET_REL ? 0n : target.addr;
    this.baseHigh = Number(this.base >> 32n);
    this.baseLow = Number(this.base & 0xffffffffn);
    this.limit = addressableSize(target);
  }

  read(i: number): void {
    const at = i * ELF64_RELA_SIZE;
    const type = readU32(this.bytes, at + 8);
    const rawLow = readU32(this.bytes, at);
    const rawHigh = readU32(this.bytes, at + 4);
    // An all-zero R_*_NONE entry has no place: the kernel's sorttable clears the relocations
    // of the tables it sorts in vmlinux (e.g. __ex_table) this way. It stays at offset 0.
    const cleared = type === R_NONE && rawLow === 0 && rawHigh === 0;
    // Exact: both differences are far below 2^53 in magnitude. (No multiplication when the
    // high words agree, as they do in objects: it would make every offset a heap number.)
    const highDifference = rawHigh - this.baseHigh;
    const lowDifference = rawLow - this.baseLow;
    const offset = cleared ? 0 : highDifference === 0 ? lowDifference : highDifference * 0x100000000 + lowDifference;
    if (offset < 0 || (offset >= this.limit && !(offset === 0 && type === R_NONE))) {
      const relative = this.bytes.readBigUInt64LE(at) - this.base;
      this.view.fail(
        `relocation ${i} of ${this.name} applies at offset ${relative}, outside ${this.target.name} (${this.limit} bytes)`,
      );
    }
    const symbolIndex = readU32(this.bytes, at + 12);
    const symbol = this.symbols[symbolIndex];
    if (symbol === undefined) {
      this.view.fail(
        `relocation ${i} of ${this.name} refers to symbol ${symbolIndex}, but the symbol table has ${this.symbols.length}`,
      );
    }
    this.offset = offset;
    this.type = type;
    this.symbol = symbol;
  }
}

/**
 * The bytes of TARGET that relocations may address: none in SHT_NOBITS; the decompressed size
 * (the header's ch_size) of an SHF_COMPRESSED section, whose relocations apply to its contents
 * once decompressed (gcc -gz's debug sections).
 */
function addressableSize(target: ElfSection): number {
  if (target.type === SHT_NOBITS) return 0;
  if (!target.hasFlag(SHF_COMPRESSED) || target.size < ELF64_CHDR_SIZE) return target.size;
  const size = readSafeU64(target.data, 8);
  return size < 0 ? target.size : size;
}

/** Decodes every entry into a Relocation (addends that fit 32 bits share their bigint). */
export function decodeRelocations(
  view: FileView,
  bytes: Buffer,
  name: string,
  target: ElfSection,
  symbols: readonly ElfSymbol[],
  fileType: number,
): Relocation[] {
  const cursor = new RelocationCursor(view, bytes, name, target, symbols, fileType);
  const relocations = new Array<Relocation>(cursor.count);
  for (let i = 0; i < cursor.count; i++) {
    cursor.read(i);
    const addend = readI64Big(bytes, i * ELF64_RELA_SIZE + 16);
    relocations[i] = { offset: cursor.offset, type: cursor.type, symbol: cursor.symbol as ElfSymbol, addend };
  }
  return relocations;
}

/**
 * Turns every entry into the caller's object, with the same checks as decodeRelocations but
 * no Relocation object and no bigint in between. The addend is a number (exact up to 2^53).
 */
export function mapRelocations<T>(
  view: FileView,
  bytes: Buffer,
  name: string,
  target: ElfSection,
  symbols: readonly ElfSymbol[],
  fileType: number,
  make: RelocationMaker<T>,
): T[] {
  const cursor = new RelocationCursor(view, bytes, name, target, symbols, fileType);
  const mapped = new Array<T>(cursor.count);
  for (let i = 0; i < cursor.count; i++) {
    cursor.read(i);
    mapped[i] = make(
      cursor.offset,
      cursor.type,
      cursor.symbol as ElfSymbol,
      readAddend(bytes, i * ELF64_RELA_SIZE + 16),
    );
  }
  return mapped;
}

/** The signed 64-bit addend at `at` as a number; small ones (all but absurd addends) stay small integers. */
function readAddend(bytes: Buffer, at: number): number {
  const low = readI32(bytes, at);
  const high = readI32(bytes, at + 4);
  if ((high === 0 && low >= 0) || (high === -1 && low < 0)) return low;
  return Number(bytes.readBigInt64LE(at));
}
