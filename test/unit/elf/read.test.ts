import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { readFile } from 'node:fs/promises';
import {
  ElfFormatError,
  ElfGroupSection,
  ElfRelocationSection,
  ElfSymbolTable,
  ET_REL,
  EM_X86_64,
  GRP_COMDAT,
  parseElf,
  readElf,
  readStringList,
  SHT_NOBITS,
  STB_GLOBAL,
  STB_WEAK,
  STT_FUNC,
  STT_OBJECT,
} from '../../../src/elf/index.js';
import { compileFixture, tempDir } from './helpers/compile.js';
import { expectSameAsReadelf } from './helpers/same-as-readelf.js';

let tmp: DirectoryResult;
let cObject: string;
let cxxObject: string;

beforeAll(async () => {
  tmp = await tempDir();
  [cObject, cxxObject] = await Promise.all([
    compileFixture('kernel-like.c', tmp.path),
    compileFixture('inline-groups.cc', tmp.path),
  ]);
});
afterAll(async () => tmp?.cleanup());

describe('readElf on a gcc-made kernel-style object', () => {
  it('reads the header', async () => {
    const file = await readElf(cObject);
    expect(file.header.type).toBe(ET_REL);
    expect(file.header.machine).toBe(EM_X86_64);
    expect(file.path).toBe(cObject);
  });

  it('agrees with readelf on every section, symbol, relocation and group', async () => {
    const file = await readElf(cObject);
    await expectSameAsReadelf(file, cObject);
    expect(file.groups.map((g) => g.group.signature.name)).toEqual(['__x86_return_thunk']);
    expect(file.groups.every((g) => g.group.flags === GRP_COMDAT)).toBe(true);
  });

  it('agrees with readelf on a g++ object with COMDAT groups', async () => {
    const file = await readElf(cxxObject);
    await expectSameAsReadelf(file, cxxObject);
    expect(file.groups.map((g) => g.group.signature.name)).toContain('_Z13shared_helperi');
  });

  it('links symbols, relocations and relocation sections to model objects', async () => {
    const file = await readElf(cObject);
    const dispatch = file.symbolByName('dispatch');
    expect(dispatch?.type).toBe(STT_FUNC);
    expect(dispatch?.bind).toBe(STB_GLOBAL);
    expect(dispatch?.section?.name).toBe('.text.dispatch');

    const text = file.sectionByName('.text.dispatch');
    if (text === undefined) throw new Error('no .text.dispatch');
    const relocations = file.relocationsFor(text);
    expect(relocations.length).toBeGreaterThan(0);
    // -mfentry -pg: the first relocation of a traced function is the call to __fentry__.
    expect(relocations[0]?.symbol.name).toBe('__fentry__');
    expect(relocations[0]?.addend).toBe(-4n);
    // The jump table lives in .rodata.dispatch and points back into .text.dispatch.
    const jumpTable = file.sections.find(
      (s) => s.name.startsWith('.rodata') && file.relocationsFor(s).some((r) => r.symbol.section === text),
    );
    expect(jumpTable).toBeDefined();

    expect(file.findSymbolAt(text, 0)).toBe(dispatch);
    expect(file.findSymbolAt(text, (dispatch?.size ?? 0) - 1)).toBe(dispatch);
    expect(file.findSymbolAt(text, dispatch?.size ?? 0)).toBeUndefined();
    expect(file.sectionSymbol(text)?.section).toBe(text);

    const weak = file.symbolByName('weak_hook');
    expect(weak?.bind).toBe(STB_WEAK);
    expect(file.symbolByName('hook_alias')?.section).toBe(weak?.section);

    const events = file.symbolByName('events.0');
    expect(events?.type).toBe(STT_OBJECT);
    expect(events?.section?.type).toBe(SHT_NOBITS);
    expect(events?.section?.size).toBe(4);
  });

  it('reads .comment and the special-section array', async () => {
    const file = await readElf(cObject);
    const comment = file.sectionByName('.comment');
    if (comment === undefined) throw new Error('no .comment');
    expect(readStringList(comment).some((s) => s.startsWith('GCC: '))).toBe(true);
    const table = file.sectionByName('.fixture_table');
    expect(table?.size).toBe(32);
    expect(file.relocationsFor(table!).map((r) => r.symbol.displayName)).toEqual(
      expect.arrayContaining(['.text.handle_a', '.text.handle_b']),
    );
  });

  it("maps relocation entries straight from the file into the caller's objects (mapEntries)", async () => {
    const fromFile = await readElf(cObject);
    const decoded = await readElf(cObject);
    const asTuple = (offset: number, type: number, symbol: { index: number }, addend: number) => [
      offset,
      type,
      symbol.index,
      addend,
    ];
    let entries = 0;
    for (const [i, rela] of fromFile.relocationSections.entries()) {
      const mapped = rela.mapEntries(asTuple);
      // Mapping does not decode (nor cache) the Relocation objects.
      expect(rela.isDecoded, rela.name).toBe(false);
      const reference = (decoded.relocationSections[i] as ElfRelocationSection).relocations;
      expect(mapped, rela.name).toEqual(reference.map((r) => [r.offset, r.type, r.symbol.index, Number(r.addend)]));
      entries += mapped.length;
    }
    expect(entries).toBeGreaterThan(20);

    // Once the relocations are decoded (or replaced), mapEntries follows the model.
    const edited = fromFile.relocationSections[0] as ElfRelocationSection;
    const [first] = edited.relocations;
    if (first === undefined) throw new Error(`${edited.name} has no relocations`);
    edited.relocations = [{ ...first, offset: first.offset + 1, addend: -8n }];
    expect(edited.mapEntries(asTuple)).toEqual([[first.offset + 1, first.type, first.symbol.index, -8]]);
  });

  it('refuses a relocation that names a symbol beyond the table in mapEntries too', async () => {
    const bytes = await readFile(cObject);
    const file = parseElf(bytes, cObject);
    const rela = file.relocationSections[0] as ElfRelocationSection;
    // r_info's high word is the symbol index: point the first entry past the symbol table.
    bytes.writeUInt32LE(0xfffff, rela.fileOffset + 12);
    expect(() => rela.mapEntries(() => 0)).toThrow(ElfFormatError);
    expect(() => rela.mapEntries(() => 0)).toThrow(/refers to symbol 1048575/);
  });

  it('decodes symbols, relocations and groups only when asked', async () => {
    const file = await readElf(cObject);
    const symtab = file.symtab as ElfSymbolTable;
    const rela = file.relocationSections[0] as ElfRelocationSection;
    const group = file.groups[0] as ElfGroupSection;
    expect([symtab.isDecoded, rela.isDecoded, group.isDecoded]).toEqual([false, false, false]);
    void rela.relocations;
    expect([symtab.isDecoded, rela.isDecoded, group.isDecoded]).toEqual([false, true, false]);
    void file.symbols;
    expect(symtab.isDecoded).toBe(true);
  });
});
