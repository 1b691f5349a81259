import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeAll,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ElfFormatError,
  parseElf,
  readElf,
  SHT_GROUP,
  SHT_RELA,
  SHT_SYMTAB,
} from '../../../src/elf/index.js';
import { UserError } from '../../../src/util/errors.js';
import { compileFixture, tempDir } from './helpers/compile.js';

let tmp: DirectoryResult;
let original: Buffer;
const NAME = 'broken.o';

beforeAll(async () => {
  tmp = await tempDir();
  original = await readFile(await compileFixture('kernel-like.c', tmp.path));
});
afterAll(async () => tmp?.cleanup());

/** Structure offsets of the clean object, to aim mutations at. */
function layout() {
  const file = parseElf(original);
  const shoff = Number(original.readBigUInt64LE(40));
  const at = (type: number) => file.sections.find((s) => s.type === type)!;
  return { file, shoff, symtab: at(SHT_SYMTAB), rela: at(SHT_RELA), group: at(SHT_GROUP) };
}

/** Parses and decodes everything; returns the typed error it must throw. */
function failure(buffer: Buffer): ElfFormatError {
  try {
    decodeAll(parseElf(buffer, NAME));
  } catch (error) {
    expect(error).toBeInstanceOf(ElfFormatError);
    expect(error).toBeInstanceOf(UserError);
    const typed = error as ElfFormatError;
    expect(typed.file).toBe(NAME);
    expect(typed.message).toBe(`${NAME}: ${typed.what}`);
    return typed;
  }
  throw new Error('expected an ElfFormatError, but the file was read');
}

function mutate(edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(original);
  edit(copy);
  return copy;
}

describe('typed errors for bad input', () => {
  it('rejects files that are not ELF64 little-endian x86_64', () => {
    expect(failure(Buffer.from('#!/bin/sh\necho not elf\n')).what).toMatch(/not an ELF file/);
    expect(failure(Buffer.alloc(0)).what).toMatch(/not an ELF file/);
    expect(failure(original.subarray(0, 40)).what).toMatch(/truncated ELF header/);
    expect(failure(mutate((b) => (b[4] = 1))).what).toMatch(/ELF class 1 .*ELF64/);
    expect(failure(mutate((b) => (b[5] = 2))).what).toMatch(/data encoding 2 .*little-endian/);
    expect(failure(mutate((b) => b.writeUInt16LE(183, 18))).what).toMatch(/machine 183/);
    expect(failure(mutate((b) => b.writeUInt16LE(4, 16))).what).toMatch(/ELF type 4/);
  });

  it('rejects truncated files and tables outside the file', () => {
    expect(failure(original.subarray(0, original.length >> 1)).what).toMatch(
      /section header table .* lies outside the file/,
    );
    const { shoff } = layout();
    expect(failure(mutate((b) => b.writeUInt16LE(0xffff, 60))).what).toMatch(/section header table .*outside the file/);
    // e_shnum 0 means extended numbering: the count is then section 0's sh_size, which is 0 here.
    expect(failure(mutate((b) => b.writeUInt16LE(0, 60))).what).toMatch(/e_shnum is 0 and section 0 has sh_size 0/);
    expect(failure(mutate((b) => b.writeBigUInt64LE(0n, 40))).what).toMatch(/no section header table/);
    // Section 6's contents pushed past the end of the file.
    expect(
      failure(mutate((b) => b.writeBigUInt64LE(BigInt(original.length), shoff + 6 * ELF64_SHDR_SIZE + 24))).what,
    ).toMatch(/contents of section 6 .* lies outside the file/);
    expect(failure(mutate((b) => b.writeBigUInt64LE(2n ** 62n, shoff + 6 * ELF64_SHDR_SIZE + 32))).what).toMatch(
      /sh_size is too large/,
    );
  });

  it('rejects bad string, section and symbol indexes', () => {
    const { shoff, symtab, rela, group, file } = layout();
    expect(failure(mutate((b) => b.writeUInt32LE(0xfffffff, shoff + 3 * ELF64_SHDR_SIZE))).what).toMatch(
      /section header 3 has name index 268435455 outside section-name string table/,
    );
    expect(failure(mutate((b) => b.writeUInt16LE(0xfff, 62))).what).toMatch(/e_shstrndx 4095/);
    const symbol = symtab.fileOffset + 5 * ELF64_SYM_SIZE;
    expect(failure(mutate((b) => b.writeUInt32LE(0x7fffffff, symbol))).what).toMatch(
      /symbol 5 of \.symtab has name index/,
    );
    expect(failure(mutate((b) => b.writeUInt16LE(0xfe00, symbol + 6))).what).toMatch(
      /symbol 5 of \.symtab refers to section 65024/,
    );
    expect(failure(mutate((b) => b.writeUInt16LE(0xffff, symbol + 6))).what).toMatch(
      /symbol 5 of \.symtab uses SHN_XINDEX, but \.symtab has no SHT_SYMTAB_SHNDX section/,
    );
    // e_shstrndx SHN_XINDEX: the index is section 0's sh_link (0 here, the null section).
    expect(failure(mutate((b) => b.writeUInt16LE(0xffff, 62))).what).toMatch(
      /section-name string table \(section 0\) has type 0/,
    );
    expect(failure(mutate((b) => b.writeUInt32LE(99999, rela.fileOffset + 12))).what).toMatch(
      new RegExp(`relocation 0 of \\${rela.name} refers to symbol 99999`),
    );
    expect(failure(mutate((b) => b.writeBigUInt64LE(1n << 40n, rela.fileOffset))).what).toMatch(
      /applies at offset .* outside/,
    );
    expect(failure(mutate((b) => b.writeUInt32LE(4000, group.fileOffset + 4))).what).toMatch(/lists section 4000/);
    const relaHeader = shoff + rela.index * ELF64_SHDR_SIZE;
    expect(failure(mutate((b) => b.writeUInt32LE(file.sections.length + 3, relaHeader + 44))).what).toMatch(
      /applies to section/,
    );
    expect(failure(mutate((b) => b.writeUInt32LE(0, relaHeader + 40))).what).toMatch(
      /sh_link 0, which is not a section of type/,
    );
    expect(failure(mutate((b) => b.writeBigUInt64LE(BigInt(ELF64_RELA_SIZE + 1), relaHeader + 56))).what).toMatch(
      /sh_entsize 25/,
    );
    expect(failure(mutate((b) => b.writeBigUInt64LE(3n, relaHeader + 48))).what).toMatch(
      /sh_addralign 3, not a power of two/,
    );
  });

  it('reports an unreadable path as a UserError naming it', async () => {
    const missing = join(tmp.path, 'missing.o');
    await expect(readElf(missing)).rejects.toThrow(UserError);
    await expect(readElf(missing)).rejects.toThrow(missing);
    const written = join(tmp.path, 'junk.o');
    await writeFile(written, 'junk');
    await expect(readElf(written)).rejects.toMatchObject({ file: written, what: 'not an ELF file (bad magic)' });
  });
});
