import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ElfGroupSection,
  ElfRelocationSection,
  ElfSymbolTable,
  readElf,
  SHT_NOBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  writeRelocatable,
} from '../../../src/elf/index.js';
import { disassemble, linkRelocatable, readelfAllClean, readelfModuloOffsets } from './helpers/binutils.js';
import { compileFixture, tempDir } from './helpers/compile.js';

let tmp: DirectoryResult;
const objects: Record<string, string> = {};
const FIXTURES = ['kernel-like.c', 'inline-groups.cc'];

beforeAll(async () => {
  tmp = await tempDir();
  for (const name of FIXTURES) objects[name] = await compileFixture(name, tmp.path);
  // The same C file with debug info: many more sections and relocations (.debug_*, .rela.debug_*).
  objects['kernel-like.c -g'] = await compileFixture('kernel-like.c', tmp.path, ['-g'], 'debug.o');
});
afterAll(async () => tmp?.cleanup());

async function roundTrip(input: string): Promise<string> {
  const output = `${input}.rewritten.o`;
  await writeFile(output, writeRelocatable(await readElf(input)));
  return output;
}

describe.each([...FIXTURES, 'kernel-like.c -g'])('read → write round trip of %s', (name) => {
  it('keeps sections, symbols, relocations and groups (readelf, modulo file offsets)', async () => {
    const input = objects[name] as string;
    const output = await roundTrip(input);
    expect(await readelfModuloOffsets(output)).toEqual(await readelfModuloOffsets(input));
  });

  it('keeps every section body byte for byte (but the name-dependent string and symbol tables)', async () => {
    const input = objects[name] as string;
    const [before, after] = [await readElf(input), await readElf(await roundTrip(input))];
    // String offsets may differ; readelf compares names and symbols above.
    const regenerated = (s: { type: number }) =>
      s.type === SHT_STRTAB || s.type === SHT_SYMTAB || s.type === SHT_NOBITS;
    for (const [i, section] of before.sections.entries()) {
      if (regenerated(section)) continue;
      expect(after.sections[i]?.data.equals(section.data), section.name).toBe(true);
    }
  });

  it('is accepted by readelf -a, objdump -dr and ld -r', async () => {
    const input = objects[name] as string;
    const output = await roundTrip(input);
    await readelfAllClean(output);
    expect(await disassemble(output)).toEqual((await disassemble(input)).replace(input, 'FILE'));
    await linkRelocatable([output], `${output}.linked.o`);
  });
});

describe('writing a model that was not read as-is', () => {
  it('puts locals before globals and remaps relocation and group symbol indexes', async () => {
    const file = await readElf(objects['kernel-like.c'] as string);
    const symtab = file.symtab as ElfSymbolTable;
    // Reverse the symbol list (globals now come first) and rename a function.
    const [nullSymbol, ...rest] = symtab.symbols;
    symtab.symbols = [nullSymbol!, ...rest.reverse()];
    file.symbolByName('dispatch')!.name = 'dispatch_renamed';
    const output = join(tmp.path, 'reordered.o');
    await writeFile(output, writeRelocatable(file));
    await readelfAllClean(output);

    const back = await readElf(output);
    const firstGlobal = back.symbols.findIndex((s) => !s.isLocal);
    expect(back.symbols.slice(firstGlobal).every((s) => !s.isLocal)).toBe(true);
    expect(back.symtab?.info).toBe(firstGlobal);
    expect(back.symbolByName('dispatch_renamed')?.section?.name).toBe('.text.dispatch');
    // Every relocation still names the same symbol (by name/section) as before.
    const original = await readElf(objects['kernel-like.c'] as string);
    for (const rela of back.relocationSections) {
      const was = original.relocationSections.find((r) => r.name === rela.name) as ElfRelocationSection;
      expect(rela.relocations.map((r) => r.symbol.displayName.replace('dispatch_renamed', 'dispatch'))).toEqual(
        was.relocations.map((r) => r.symbol.displayName),
      );
    }
    const group = back.groups[0] as ElfGroupSection;
    expect(group.group.signature.name).toBe('__x86_return_thunk');
    expect(group.group.members.map((m) => m.name)).toEqual(['.text.__x86_return_thunk']);
    expect(await disassemble(output)).toContain('<dispatch_renamed>:');
    await linkRelocatable([output], `${output}.linked.o`);
  });
});

describe('64-bit fields on the way out', () => {
  it('keeps symbol values, addends and section addresses beyond 32 bits exact (both signs)', async () => {
    const file = await readElf(objects['kernel-like.c'] as string);
    const symbol = file.symbolByName('dispatch')!;
    const absolute = file.symbols.find((s) => s.section === undefined && s.name !== '')!;
    const rela = file.relocationSections.find((r) => r.relocations.length >= 4)!;
    const addends = [-0x80000000n, 0x7fffffffn, -0x80000001n, 0x123456789abcdefn];
    rela.relocations = rela.relocations.map((r, i) => (i < addends.length ? { ...r, addend: addends[i]! } : r));
    symbol.value = 0x1_0000_0004n;
    absolute.shndx = 0xfff1; // SHN_ABS
    absolute.value = 0xffffffff_ffff0000n;
    file.sections[1]!.addr = 0x1_0000_0000n;
    const output = join(tmp.path, 'wide-fields.o');
    await writeFile(output, writeRelocatable(file));

    const back = await readElf(output);
    expect(back.symbolByName('dispatch')?.value).toBe(0x1_0000_0004n);
    expect(back.symbolByName(absolute.name)?.value).toBe(0xffffffff_ffff0000n);
    expect(
      back.relocationSections
        .find((r) => r.name === rela.name)!
        .relocations.slice(0, 4)
        .map((r) => r.addend),
    ).toEqual(addends);
    expect(back.sections[1]?.addr).toBe(0x1_0000_0000n);
  });
});
