import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRelocatable,
  ElfRelocationSection,
  ElfSymbol,
  readElf,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_RELA_LIVEPATCH,
  SHN_LIVEPATCH,
  SHN_UNDEF,
  STB_GLOBAL,
  STT_SECTION,
  writeRelocatable,
  type ElfFile,
  type ElfSection,
  type Relocation,
} from '../../../src/elf/index.js';
import { disassemble, linkRelocatable, readelfAllClean } from './helpers/binutils.js';
import { compileFixture, tempDir } from './helpers/compile.js';

let tmp: DirectoryResult;
let patched: string;

beforeAll(async () => {
  tmp = await tempDir();
  patched = await compileFixture('kernel-like.c', tmp.path);
});
afterAll(async () => tmp?.cleanup());

/**
 * What the differ will do: take `names` sections (and their relocation sections) from a
 * read object into a new object, keep the symbols defined in them, and give every other
 * referenced symbol to `outside` to decide what it becomes.
 */
function select(source: ElfFile, names: string[], outside: (symbol: ElfSymbol) => ElfSymbol | undefined): ElfFile {
  const out = createRelocatable(join(tmp.path, 'selected.o'));
  const chosen = new Set<ElfSection>(names.map((n) => source.sectionByName(n) as ElfSection));
  for (const section of chosen) out.addSection(section);
  for (const symbol of source.symbols)
    if (symbol.section !== undefined && chosen.has(symbol.section)) out.addSymbol(symbol);
  const replacements = new Map<ElfSymbol, ElfSymbol | undefined>();
  for (const section of chosen) {
    for (const rela of source.relocationSectionsFor(section)) {
      const kept: Relocation[] = [];
      for (const relocation of rela.relocations) {
        let symbol: ElfSymbol | undefined = relocation.symbol;
        if (symbol.section === undefined || !chosen.has(symbol.section)) {
          if (!replacements.has(symbol)) {
            const replacement = outside(symbol);
            replacements.set(symbol, replacement);
            if (replacement !== undefined) out.addSymbol(replacement);
          }
          symbol = replacements.get(symbol);
        }
        if (symbol !== undefined) kept.push({ ...relocation, symbol });
      }
      const copy = new ElfRelocationSection(
        { name: rela.name, target: section, link: out.symtab, flags: rela.flags },
        kept,
      );
      out.addSection(copy);
    }
  }
  return out;
}

describe('building a new object from parts of a read one', () => {
  it('writes a selection that binutils links and disassembles', async () => {
    const source = await readElf(patched);
    const out = select(source, ['.text.dispatch', '.rodata.dispatch', '.rodata.dispatch.str1.1'], (symbol) =>
      symbol.type === STT_SECTION
        ? undefined
        : new ElfSymbol({ name: symbol.name, bind: STB_GLOBAL, shndx: SHN_UNDEF }),
    );
    const path = join(tmp.path, 'selection.o');
    await writeFile(path, writeRelocatable(out));
    await readelfAllClean(path);
    await linkRelocatable([path], join(tmp.path, 'selection-linked.o'));
    const listing = await disassemble(path);
    expect(listing).toContain('<dispatch>:');
    expect(listing).toContain('R_X86_64_PLT32\t__fentry__-0x4');

    const back = await readElf(path);
    expect(back.sections.map((s) => s.name)).toEqual([
      '',
      '.symtab',
      '.strtab',
      '.shstrtab',
      '.text.dispatch',
      '.rodata.dispatch',
      '.rodata.dispatch.str1.1',
      '.rela.text.dispatch',
      '.rela.rodata.dispatch',
    ]);
    expect(back.symbolByName('dispatch')?.section?.name).toBe('.text.dispatch');
    expect(back.symbolByName('printk')?.isUndefined).toBe(true);
    // The jump table still points into the function.
    const jumpTable = back.sectionByName('.rodata.dispatch') as ElfSection;
    expect(back.relocationsFor(jumpTable).every((r) => r.symbol.section?.name === '.text.dispatch')).toBe(true);
  });

  it('writes livepatch relocations and symbols (SHF_RELA_LIVEPATCH, SHN_LIVEPATCH)', async () => {
    const source = await readElf(patched);
    const klpSymbols: ElfSymbol[] = [];
    const out = select(source, ['.text.count_events', '.rodata.count_events.str1.1'], (symbol) => {
      if (symbol.section === undefined) return new ElfSymbol({ name: symbol.name, bind: STB_GLOBAL, shndx: SHN_UNDEF });
      // A static local of the original object: resolved by the livepatch core.
      const name =
        symbol.type === STT_SECTION
          ? (source.findSymbolAt(symbol.section, 0)?.name ?? symbol.displayName)
          : symbol.name;
      const klp = new ElfSymbol({
        ...symbol,
        name: `.klp.sym.vmlinux.${name},0`,
        type: symbol.type === STT_SECTION ? 1 : symbol.type,
        bind: STB_GLOBAL,
      });
      klp.section = undefined;
      klp.shndx = SHN_LIVEPATCH;
      klpSymbols.push(klp);
      return klp;
    });
    // Move the relocations against .klp.sym symbols into a .klp.rela section.
    const text = out.sectionByName('.text.count_events') as ElfSection;
    const rela = out.relocationSectionsFor(text)[0] as ElfRelocationSection;
    const klpRela = new ElfRelocationSection(
      {
        name: '.klp.rela.vmlinux..text.count_events',
        target: text,
        link: out.symtab,
        flags: SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
      },
      rela.relocations.filter((r) => r.symbol.shndx === SHN_LIVEPATCH),
    );
    rela.relocations = rela.relocations.filter((r) => r.symbol.shndx !== SHN_LIVEPATCH);
    out.addSection(klpRela);
    expect(klpRela.relocations.length).toBeGreaterThan(0);

    const path = join(tmp.path, 'livepatch.o');
    await writeFile(path, writeRelocatable(out));
    const report = await readelfAllClean(path);
    expect(report).toContain('.klp.rela.vmlinux..text.count_events');

    const back = await readElf(path);
    const backRela = back.sectionByName('.klp.rela.vmlinux..text.count_events') as ElfRelocationSection;
    expect(backRela.flags).toBe((SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH) >>> 0);
    expect(backRela.target.name).toBe('.text.count_events');
    expect(backRela.relocations.map((r) => r.symbol.name)).toEqual(klpRela.relocations.map((r) => r.symbol.name));
    for (const symbol of back.symbols.filter((s) => s.name.startsWith('.klp.sym.'))) {
      expect(symbol.shndx).toBe(SHN_LIVEPATCH);
      expect(symbol.section).toBeUndefined();
    }
    expect(back.symbolByName('.klp.sym.vmlinux.events.0,0')).toBeDefined();
  });

  it('refuses a model that refers to something it does not contain', async () => {
    const source = await readElf(patched);
    const out = createRelocatable(join(tmp.path, 'broken.o'));
    out.addSymbol(source.symbolByName('dispatch') as ElfSymbol);
    expect(() => writeRelocatable(out)).toThrow(
      /symbol dispatch is defined in section \.text\.dispatch, which is not in the object/,
    );

    const text = source.sectionByName('.text.dispatch') as ElfSection;
    text.addralign = 1 << 30;
    expect(() => writeRelocatable(source)).toThrow(/sh_addralign 1073741824; it must be 0 or a power of two/);
    text.addralign = 16;

    const both = source.symbolByName('dispatch') as ElfSymbol;
    both.shndx = SHN_LIVEPATCH;
    expect(() => writeRelocatable(source)).toThrow(/both a section .* and the special index 0xff20/);
  });
});
