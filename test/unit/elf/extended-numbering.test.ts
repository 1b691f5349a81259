import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRelocatable,
  decodeAll,
  ElfFormatError,
  ElfSection,
  ElfSymbol,
  parseElf,
  readElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHN_ABS,
  SHN_COMMON,
  SHN_LIVEPATCH,
  SHN_LORESERVE,
  SHN_XINDEX,
  SHT_PROGBITS,
  SHT_SYMTAB_SHNDX,
  STB_GLOBAL,
  STT_FUNC,
  writeRelocatable,
  type ElfFile,
} from '../../../src/elf/index.js';
import { readelfAllClean, readelfModuloOffsets } from './helpers/binutils.js';
import { tempDir } from './helpers/compile.js';
import { assembleManySections } from './helpers/many-sections.js';
import { readelf, readelfSections } from './helpers/readelf.js';
import { expectSameAsReadelf } from './helpers/same-as-readelf.js';

// Objects with 65,280 (SHN_LORESERVE) sections or more: e_shnum and e_shstrndx move to
// section 0 and symbols in high sections use SHN_XINDEX plus an SHT_SYMTAB_SHNDX entry.

const FUNCTIONS = 70_000;

let tmp: DirectoryResult;
let object: string;

beforeAll(async () => {
  tmp = await tempDir();
  object = await assembleManySections(tmp.path, FUNCTIONS);
});
afterAll(async () => tmp?.cleanup());

/** The header fields as stored and the counts readelf makes of them ("0 (70010)"). */
async function readelfHeader(path: string): Promise<{ stored: number[]; shnum: number; shstrndx: number }> {
  const text = await readelf(['-h'], path);
  const field = (label: string): [number, number] => {
    const match = new RegExp(`${label}:\\s+(\\d+)(?: \\((\\d+)\\))?`).exec(text);
    if (match === null) throw new Error(`readelf -h ${path}: no '${label}'`);
    return [Number(match[1]), Number(match[2] ?? match[1])];
  };
  const [storedCount, shnum] = field('Number of section headers');
  const [storedIndex, shstrndx] = field('Section header string table index');
  return { stored: [storedCount, storedIndex], shnum, shstrndx };
}

async function write(file: ElfFile, name: string): Promise<string> {
  const path = join(tmp.path, name);
  await writeFile(path, writeRelocatable(file));
  await readelfAllClean(path);
  return path;
}

describe('extended section numbering', () => {
  it('reads the section count and name-table index from section 0 and symbol sections from SHT_SYMTAB_SHNDX', async () => {
    const header = await readelfHeader(object);
    expect(header.stored).toEqual([0, SHN_XINDEX]);
    expect(header.shnum).toBeGreaterThan(FUNCTIONS);

    const file = await readElf(object);
    expect(file.sections.length).toBe(header.shnum);
    expect(file.sectionNames?.index).toBe(header.shstrndx);
    expect(file.sectionNames?.name).toBe('.shstrtab');
    expect(file.sections[0]).toMatchObject({ size: 0, link: undefined, info: 0 });
    await expectSameAsReadelf(file, object);

    // Sections numbered in the reserved range are sections, not special indexes.
    for (const index of [SHN_LORESERVE, SHN_LIVEPATCH, SHN_ABS, SHN_COMMON, SHN_XINDEX]) {
      const section = file.sections[index]!;
      expect(section.name).toMatch(/^\.text\.f\d+$/);
      expect(file.symbolByName(section.name.slice('.text.'.length)), section.name).toMatchObject({
        shndx: SHN_XINDEX,
        section,
      });
    }
    const low = file.sectionByName('.text.f1')!;
    expect(low.index).toBeLessThan(SHN_LORESERVE);
    expect(file.symbolByName('f1')).toMatchObject({ shndx: low.index, section: low });
    expect(file.symbolByName('abs_sym')).toMatchObject({ shndx: SHN_ABS, section: undefined, value: 0x1234n });
    expect(file.symbolByName('common_var')).toMatchObject({ shndx: SHN_COMMON, section: undefined });
    expect(file.symbolByName('ext_fn')?.isUndefined).toBe(true);
    expect(file.groups[0]?.group.members.map((m) => m.index)).toEqual([file.sectionByName('.text.grouped')?.index]);
    expect(file.sectionByName('.text.grouped')!.index).toBeGreaterThan(SHN_LORESERVE);
  });

  it('writes such an object back with extended numbering, as binutils wrote it', async () => {
    const output = await write(await readElf(object), 'rewritten.o');
    expect(await readelfModuloOffsets(output)).toEqual(await readelfModuloOffsets(object));
    expect(await readelfHeader(output)).toEqual(await readelfHeader(object));
    await expectSameAsReadelf(await readElf(output), output);
  });

  it('adds the SHT_SYMTAB_SHNDX section the symbols need when the model has none', async () => {
    const file = await readElf(object);
    file.sections = file.sections.filter((s) => s.type !== SHT_SYMTAB_SHNDX);
    const output = await write(file, 'without-shndx.o');
    expect(await readelfModuloOffsets(output)).toEqual(await readelfModuloOffsets(object));
  });

  it('refuses SHN_XINDEX without an SHT_SYMTAB_SHNDX entry naming a section', async () => {
    const bytes = await readFile(object);
    const file = parseElf(bytes);
    const shndx = file.sections.find((s) => s.type === SHT_SYMTAB_SHNDX)!;
    const f69999 = file.symbolByName(`f${FUNCTIONS - 1}`)!;
    const broken = Buffer.from(bytes);
    broken.writeUInt32LE(file.sections.length, shndx.fileOffset + 4 * f69999.index);
    expect(() => decodeAll(parseElf(broken, 'broken.o'))).toThrow(ElfFormatError);
    expect(() => decodeAll(parseElf(broken, 'broken.o'))).toThrow(
      new RegExp(`symbol ${f69999.index} of \\.symtab has the extended section index ${file.sections.length}`),
    );
  });
});

describe('writing a built object at the SHN_LORESERVE boundary', () => {
  const RET = Buffer.from([0xc3]);

  function addFunction(file: ElfFile, i: number): void {
    const section = file.addSection(
      new ElfSection({ name: `.text.b${i}`, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, data: RET }),
    );
    file.addSymbol(new ElfSymbol({ name: `b${i}`, type: STT_FUNC, bind: STB_GLOBAL, section, size: 1 }));
  }

  it('moves the count to section 0 from SHN_LORESERVE sections on, and adds SHT_SYMTAB_SHNDX only once a symbol needs it', async () => {
    // createRelocatable's null section, .symtab, .strtab and .shstrtab come first.
    const file = createRelocatable(join(tmp.path, 'built.o'));
    for (let i = 0; i < SHN_LORESERVE - 4; i++) addFunction(file, i);
    file.addSymbol(new ElfSymbol({ name: 'absolute', bind: STB_GLOBAL, shndx: SHN_ABS, value: 0x1234n }));
    file.addSymbol(new ElfSymbol({ name: 'common', bind: STB_GLOBAL, shndx: SHN_COMMON, value: 8n, size: 8 }));
    file.addSymbol(new ElfSymbol({ name: 'klp_target', bind: STB_GLOBAL, shndx: SHN_LIVEPATCH }));

    // SHN_LORESERVE sections: e_shnum no longer fits, but every section index still does.
    const atBoundary = await write(file, 'boundary.o');
    expect(await readelfHeader(atBoundary)).toEqual({ stored: [0, 3], shnum: SHN_LORESERVE, shstrndx: 3 });
    expect((await readelfSections(atBoundary)).some((s) => s.type === 'SYMTAB SECTION INDICES')).toBe(false);
    const readBack = await readElf(atBoundary);
    await expectSameAsReadelf(readBack, atBoundary);
    expect(readBack.symbolByName(`b${SHN_LORESERVE - 5}`)?.shndx).toBe(SHN_LORESERVE - 1);

    // One more: its section is numbered SHN_LORESERVE, so the symbols need SHT_SYMTAB_SHNDX,
    // which goes right after .symtab (and pushes the last two sections up).
    addFunction(file, SHN_LORESERVE - 4);
    const beyond = await write(file, 'beyond.o');
    expect(await readelfHeader(beyond)).toEqual({ stored: [0, 4], shnum: SHN_LORESERVE + 2, shstrndx: 4 });
    const back = await readElf(beyond);
    await expectSameAsReadelf(back, beyond);
    expect(back.sections[2]?.type).toBe(SHT_SYMTAB_SHNDX);
    expect(back.symbolByName(`b${SHN_LORESERVE - 4}`)).toMatchObject({
      shndx: SHN_XINDEX,
      section: back.sections[SHN_LORESERVE + 1],
    });
    expect(back.symbolByName(`b${SHN_LORESERVE - 5}`)).toMatchObject({
      shndx: SHN_XINDEX,
      section: back.sections[SHN_LORESERVE],
    });
    expect(back.symbolByName(`b${SHN_LORESERVE - 6}`)).toMatchObject({
      shndx: SHN_LORESERVE - 1,
      section: back.sections[SHN_LORESERVE - 1],
    });
    expect(back.symbolByName('absolute')).toMatchObject({ shndx: SHN_ABS, section: undefined, value: 0x1234n });
    expect(back.symbolByName('common')).toMatchObject({ shndx: SHN_COMMON, section: undefined });
    expect(back.symbolByName('klp_target')).toMatchObject({ shndx: SHN_LIVEPATCH, section: undefined });
  });
});
