/**
 * The x86_64 IBT rules on bytes: the seal list's entries, ENDBR64 at an entry, and which
 * PC-relative relocations are the operand of a direct branch.
 */
import { describe, expect, it } from 'vitest';
import { isCodeTable, isDirectBranch } from '../../../src/arch/x86_64/branch-references.js';
import { sealedAddresses, startsWithEndbr } from '../../../src/arch/x86_64/ibt-seal.js';
import { R_X86_64_32S, R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32 } from '../../../src/arch/x86_64/relocations.js';

const s32s = (...values: number[]) => {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeInt32LE(value, i * 4));
  return bytes;
};

describe('sealedAddresses', () => {
  it('adds each entry to its own address (entries before and after their targets)', () => {
    const start = 0xffffffff836fa8d0n;
    expect(sealedAddresses(s32s(-0x26fa8d0, 0x10, 0), start)).toEqual([
      0xffffffff81000000n,
      0xffffffff836fa8e4n,
      0xffffffff836fa8d8n,
    ]);
  });

  it('refuses bytes that are not whole entries', () => {
    expect(sealedAddresses(Buffer.alloc(6), 0n)).toBeUndefined();
    expect(sealedAddresses(Buffer.alloc(0), 0n)).toEqual([]);
  });
});

describe('startsWithEndbr', () => {
  const code = Buffer.from([0xf3, 0x0f, 0x1e, 0xfa, 0xe8, 0, 0, 0, 0, 0xf3, 0x0f, 0x1e]);
  it('finds endbr64 at an offset, and not past the end', () => {
    expect([0, 4, 9, -1].map((offset) => startsWithEndbr(code, offset))).toEqual([true, false, false, false]);
  });
});

describe('isDirectBranch', () => {
  // endbr64; call f; jmp f; jne f; lea f(%rip),%rax; mov f(%rip),%rcx; mov $f,%rdi (32S)
  const code = Buffer.from([
    0xf3, 0x0f, 0x1e, 0xfa, 0xe8, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0, 0x0f, 0x85, 0, 0, 0, 0, 0x48, 0x8d, 0x05, 0, 0, 0, 0,
    0x48, 0x8b, 0x0d, 0, 0, 0, 0, 0x48, 0xc7, 0xc7, 0, 0, 0, 0,
  ]);
  it('is true for the operand of call, jmp and jcc rel32', () => {
    expect(isDirectBranch(code, 5, R_X86_64_PLT32)).toBe(true);
    expect(isDirectBranch(code, 10, R_X86_64_PLT32)).toBe(true);
    expect(isDirectBranch(code, 16, R_X86_64_PLT32)).toBe(true);
    expect(isDirectBranch(code, 5, R_X86_64_PC32)).toBe(true);
  });

  it('is false for RIP-relative operands, absolute relocations and a place with no opcode before it', () => {
    expect(isDirectBranch(code, 23, R_X86_64_PC32)).toBe(false);
    expect(isDirectBranch(code, 30, R_X86_64_PC32)).toBe(false);
    expect(isDirectBranch(code, 37, R_X86_64_32S)).toBe(false);
    expect(isDirectBranch(code, 5, R_X86_64_64)).toBe(false);
    expect(isDirectBranch(code, 0, R_X86_64_PLT32)).toBe(false);
  });
});

describe('isCodeTable', () => {
  it('knows the tables of code locations, debug info and discarded sections', () => {
    expect(
      ['__mcount_loc', '.orc_unwind_ip', '__jump_table', '.debug_info', '.discard.addressable'].map(isCodeTable),
    ).toEqual([true, true, true, true, true]);
  });

  it('counts data, and the explicit keep-this-ENDBR list, as taking addresses', () => {
    expect(['.data', '.rodata.ops', '.data.rel.ro', '.discard.ibt_endbr_noseal'].map(isCodeTable)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
