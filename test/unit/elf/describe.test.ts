import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import {
  describeGroups,
  describeRelocations,
  describeSections,
  describeSymbols,
} from '../../../src/elf/dump/describe.js';
import { readElf, type ElfFile } from '../../../src/elf/index.js';
import { compileFixture, tempDir } from './helpers/compile.js';

let tmp: DirectoryResult;
let file: ElfFile;

beforeAll(async () => {
  tmp = await tempDir();
  file = await readElf(await compileFixture('kernel-like.c', tmp.path));
});
afterAll(async () => tmp?.cleanup());

describe('text views of the model (elf-dump)', () => {
  it('names sections, symbols, relocations and groups', () => {
    expect(describeSections(file)[0]).toMatch(/^\[0\] \(null\) NULL/);
    expect(describeSections(file)).toContainEqual(
      expect.stringMatching(/^\[\d+\] \.text\.dispatch PROGBITS flags=0x6 /),
    );
    expect(describeSymbols(file)).toContainEqual(
      expect.stringMatching(/^\d+: dispatch FUNC GLOBAL \.text\.dispatch value=0x0 size=\d+$/),
    );
    expect(describeSymbols(file)).toContainEqual(expect.stringMatching(/^\d+: printk NOTYPE GLOBAL UNDEF /));
    const relocations = describeRelocations(file);
    const at = relocations.indexOf(relocations.find((l) => l.startsWith('.rela.text.dispatch -> .text.dispatch'))!);
    expect(relocations[at + 1]).toBe('  0x1 R_X86_64_PLT32 __fentry__ - 0x4');
    expect(describeGroups(file)).toEqual(['.group [__x86_return_thunk] flags=0x1: .text.__x86_return_thunk']);
  });
});
