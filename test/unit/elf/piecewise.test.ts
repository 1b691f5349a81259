import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { appendFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAll, ElfFormatError, readElf, readElfSync, type ElfFile } from '../../../src/elf/index.js';
import { compileFixture, tempDir } from './helpers/compile.js';

let tmp: DirectoryResult;
let object: string;

beforeAll(async () => {
  tmp = await tempDir();
  object = await compileFixture('kernel-like.c', tmp.path, ['-g'], 'piecewise.o');
});
afterAll(async () => tmp?.cleanup());

function summary(file: ElfFile) {
  return {
    sections: file.sections.map((s) => [s.name, s.size, s.data.toString('hex')]),
    symbols: file.symbols.map((s) => [s.name, s.value, s.section?.index]),
    relocations: file.relocationSections.map((r) =>
      r.relocations.map((x) => [x.offset, x.type, x.symbol.index, x.addend]),
    ),
  };
}

describe('reading big files piecewise', () => {
  it('gives the same model as reading the whole file', async () => {
    const whole = await readElf(object);
    const piecewise = await readElf(object, { wholeFileLimit: 0 });
    expect(summary(piecewise)).toEqual(summary(whole));
    expect(summary(readElfSync(object, { wholeFileLimit: 0 }))).toEqual(summary(whole));
  });

  it('fails with ElfFormatError when the file changes before a lazy part is read', async () => {
    const copy = join(tmp.path, 'changing.o');
    await copyFile(object, copy);
    const file = await readElf(copy, { wholeFileLimit: 0 });
    await appendFile(copy, Buffer.alloc(16));
    expect(() => decodeAll(file)).toThrow(ElfFormatError);
    expect(() => decodeAll(file)).toThrow(/changed on disk/);
  });
});
