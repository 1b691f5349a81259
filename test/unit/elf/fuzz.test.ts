import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { readFile } from 'node:fs/promises';
import {
  decodeAll,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ElfFormatError,
  ElfModelError,
  parseElf,
  readModinfo,
  readStringList,
  SHT_GROUP,
  SHT_PROGBITS,
  SHT_RELA,
  SHT_SYMTAB,
  writeRelocatable,
  type ElfFile,
} from '../../../src/elf/index.js';
import { compileFixture, tempDir } from './helpers/compile.js';
import { createRandom } from './helpers/prng.js';

// Mutates real objects and requires every outcome to be a clean read or an ElfFormatError:
// no other exception, no hang, no huge allocation. Replay with ELF_FUZZ_SEED=<seed>.
const ITERATIONS = Number(process.env.ELF_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.ELF_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

let tmp: DirectoryResult;
const originals: Buffer[] = [];

beforeAll(async () => {
  tmp = await tempDir();
  for (const [name, flags, out] of [
    ['kernel-like.c', [], 'plain.o'],
    ['kernel-like.c', ['-g'], 'debug.o'],
    ['inline-groups.cc', [], 'groups.o'],
  ] as const) {
    originals.push(await readFile(await compileFixture(name, tmp.path, [...flags], out)));
  }
});
afterAll(async () => tmp?.cleanup());

/** Offsets of the fields a mutation can aim at, from the clean file. */
interface Targets {
  fields: { at: number; width: 1 | 2 | 4 | 8 }[];
}

function targetsOf(buffer: Buffer): Targets {
  const file = parseElf(buffer);
  const shoff = Number(buffer.readBigUInt64LE(40));
  const fields: Targets['fields'] = [];
  // ELF header: e_type, e_machine, e_shoff, e_shentsize, e_shnum, e_shstrndx, ident bytes.
  for (const [at, width] of [
    [4, 1],
    [5, 1],
    [6, 1],
    [16, 2],
    [18, 2],
    [40, 8],
    [58, 2],
    [60, 2],
    [62, 2],
  ] as const)
    fields.push({ at, width });
  for (const section of file.sections) {
    const header = shoff + section.index * ELF64_SHDR_SIZE;
    for (const [at, width] of [
      [0, 4],
      [4, 4],
      [8, 8],
      [24, 8],
      [32, 8],
      [40, 4],
      [44, 4],
      [48, 8],
      [56, 8],
    ] as const) {
      fields.push({ at: header + at, width });
    }
    const records =
      section.type === SHT_SYMTAB
        ? ELF64_SYM_SIZE
        : section.type === SHT_RELA
          ? ELF64_RELA_SIZE
          : section.type === SHT_GROUP
            ? 4
            : 0;
    if (records === 0) continue;
    const layout: [number, 1 | 2 | 4 | 8][] =
      section.type === SHT_SYMTAB
        ? [
            [0, 4],
            [4, 1],
            [6, 2],
            [8, 8],
            [16, 8],
          ]
        : section.type === SHT_RELA
          ? [
              [0, 8],
              [8, 4],
              [12, 4],
              [16, 8],
            ]
          : [[0, 4]];
    for (let entry = section.fileOffset; entry < section.fileOffset + section.size; entry += records) {
      for (const [at, width] of layout) fields.push({ at: entry + at, width });
    }
  }
  return { fields };
}

const INTERESTING = [
  0n,
  1n,
  2n,
  0x7fn,
  0xffn,
  0xff20n,
  0xfff1n,
  0xffffn,
  0x7fffffffn,
  0xffffffffn,
  2n ** 53n,
  2n ** 63n,
  2n ** 64n - 1n,
];

function writeField(buffer: Buffer, at: number, width: 1 | 2 | 4 | 8, value: bigint): void {
  if (at + width > buffer.length) return;
  const masked = value & ((1n << BigInt(width * 8)) - 1n);
  if (width === 8) buffer.writeBigUInt64LE(masked, at);
  else buffer.writeUIntLE(Number(masked), at, width);
}

/** Everything a user of the model may touch, so lazily decoded parts fail now. */
function touchEverything(file: ElfFile): void {
  // Straight from the file first (before decodeAll caches the Relocation objects).
  for (const rela of file.relocationSections)
    rela.mapEntries((offset, type, symbol, addend) => offset + type + symbol.index + addend);
  decodeAll(file);
  for (const section of file.sections) {
    if (section.name === '.comment') readStringList(section);
    if (section.name === '.modinfo') readModinfo(section);
    if (section.type === SHT_PROGBITS && section.size > 0) file.findSymbolAt(section, section.size - 1);
  }
  for (const symbol of file.symbols.slice(0, 50)) file.symbolByName(symbol.name);
  for (const rela of file.relocationSections) file.relocationsFor(rela.target);
  // Writing must also either work or refuse with a typed error (the writer refuses
  // alignments that would make the output huge).
  writeRelocatable(file);
}

describe('fuzzing the reader with mutated objects', () => {
  it(`yields a clean read or an ElfFormatError for ${ITERATIONS} mutations (seed ${SEED})`, () => {
    console.log(`ELF fuzz seed: ${SEED} (replay with ELF_FUZZ_SEED=${SEED})`);
    const random = createRandom(SEED);
    const targets = originals.map(targetsOf);
    const outcomes = { clean: 0, format: 0, model: 0 };
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const which = random.int(originals.length);
      const original = originals[which] as Buffer;
      let buffer = Buffer.from(original);
      const kind = random.int(4);
      let description: string;
      if (kind === 0) {
        const flips = 1 + random.int(8);
        for (let i = 0; i < flips; i++) {
          const at = random.int(buffer.length);
          buffer[at] = (buffer[at] as number) ^ (1 << random.int(8));
        }
        description = `${flips} bit flips`;
      } else if (kind === 1) {
        const length = random.int(buffer.length);
        buffer = buffer.subarray(0, length);
        description = `truncated to ${length}`;
      } else {
        const field = random.pick((targets[which] as Targets).fields);
        const value = kind === 2 ? random.pick(INTERESTING) : BigInt(random.int(2 ** 31)) % BigInt(buffer.length * 2);
        writeField(buffer, field.at, field.width, value);
        description = `field at ${field.at} (width ${field.width}) := ${value}`;
      }
      try {
        touchEverything(parseElf(buffer, 'fuzzed.o'));
        outcomes.clean++;
      } catch (error) {
        if (error instanceof ElfFormatError) outcomes.format++;
        else if (error instanceof ElfModelError) outcomes.model++;
        else
          throw new Error(`iteration ${iteration} (seed ${SEED}, object ${which}, ${description}): ${String(error)}`, {
            cause: error,
          });
      }
    }
    console.log(`ELF fuzz outcomes: ${JSON.stringify(outcomes)}`);
    // Both outcomes must occur, or the mutations are not reaching the reader.
    expect(outcomes.clean).toBeGreaterThan(ITERATIONS / 20);
    expect(outcomes.format).toBeGreaterThan(ITERATIONS / 20);
  });
});
