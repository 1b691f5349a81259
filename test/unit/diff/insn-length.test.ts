/** x86-64 instruction lengths, checked against instructions gcc/gas actually emit. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeInstruction, instructionAt, instructionStarts } from '../../../src/arch/x86_64/insn-length.js';
import { readElfSync } from '../../../src/elf/read/read-elf.js';
import { CORPUS_DIR, requireCorpus } from './corpus-cases.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.split(' ').map((b) => parseInt(b, 16)));

describe('decodeInstruction', () => {
  it.each([
    ['e8 00 00 00 00', 5, 'call rel32'],
    ['be 43 0a 00 00', 5, 'mov $imm32,%esi'],
    ['41 b8 01 00 00 00', 6, 'mov $imm32,%r8d'],
    ['48 c7 c7 00 00 00 00', 7, 'mov $imm32,%rdi'],
    ['48 b8 00 00 00 00 00 00 00 00', 10, 'movabs $imm64,%rax'],
    ['c6 05 00 00 00 00 01', 7, 'movb $1,rip(disp32)'],
    ['80 3d 00 00 00 00 00', 7, 'cmpb $0,rip(disp32)'],
    ['0f 1f 44 00 00', 5, '5-byte nop'],
    ['66 0f 1f 44 00 00', 6, '6-byte nop'],
    ['f3 0f 1e fa', 4, 'endbr64'],
    ['0f 0b', 2, 'ud2'],
    ['48 8b 44 24 08', 5, 'mov 8(%rsp),%rax'],
    ['e9 1f ff ff ff', 5, 'jmp rel32'],
    ['74 05', 2, 'je rel8'],
    ['0f 84 00 00 00 00', 6, 'je rel32'],
    ['f6 c2 01', 3, 'test $1,%dl'],
    ['f7 c2 01 00 00 00', 6, 'test $1,%edx'],
    ['f7 d8', 2, 'neg %eax'],
    ['66 90', 2, 'xchg %ax,%ax'],
    ['c5 f8 77', 3, 'vzeroupper'],
    ['c4 e3 79 0f c1 08', 6, 'vpalignr (VEX 0F3A, imm8)'],
    ['65 48 8b 04 25 00 00 00 00', 9, 'mov %gs:0,%rax'],
  ])('%s is %d bytes (%s)', (hex, length) => {
    expect(decodeInstruction(bytes(hex), 0).length).toBe(length);
  });

  it('refuses to run past the end', () => {
    expect(() => decodeInstruction(bytes('e8 00 00'), 0)).toThrow(RangeError);
  });
});

describe('instruction boundaries', () => {
  it('finds the instruction containing a relocated field', () => {
    // call; mov $imm32,%esi; ret
    const code = bytes('e8 00 00 00 00 be 01 00 00 00 c3');
    const starts = instructionStarts(code)!;
    expect([...starts]).toEqual([0, 5, 10, 11]);
    expect(instructionAt(starts, 1)).toEqual({ start: 0, end: 5 });
    expect(instructionAt(starts, 6)).toEqual({ start: 5, end: 10 });
    expect(instructionAt(starts, 11)).toBeUndefined();
  });
});

describe('agreement with objdump', () => {
  beforeAll(requireCorpus);

  it('finds the same instruction boundaries as objdump in every function of corpus objects', () => {
    for (const name of ['ASSERT_RTNL-detect.ORIG.o', 'static-call-pr-1315.ORIG.o', 'altinstr_aux.ORIG.o']) {
      const path = join(CORPUS_DIR, name);
      const listing = execFileSync('objdump', ['-d', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const bySection = new Map<string, number[]>();
      let current: number[] | undefined;
      for (const line of listing.split('\n')) {
        const header = /^Disassembly of section (\S+):$/.exec(line);
        if (header) bySection.set(header[1]!, (current = []));
        const instruction = /^\s+([0-9a-f]+):\t[0-9a-f ]+\t/.exec(line);
        if (instruction && current) current.push(parseInt(instruction[1]!, 16));
      }
      const elf = readElfSync(path);
      let compared = 0;
      for (const section of elf.sections) {
        const expected = bySection.get(section.name);
        if (!expected || expected.length === 0) continue;
        const starts = instructionStarts(section.data);
        expect(starts, `${name} ${section.name}`).toBeDefined();
        expect([...starts!].slice(0, -1), `${name} ${section.name}`).toEqual(expected);
        compared++;
      }
      expect(compared).toBeGreaterThan(10);
    }
  });
});
