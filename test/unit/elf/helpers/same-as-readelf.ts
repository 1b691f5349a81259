import { expect } from 'vitest';
import { ElfRelocationSection, SHN_LORESERVE, type ElfFile } from '../../../../src/elf/index.js';
import {
  flagLetters,
  ndxName,
  SECTION_TYPE_NAMES,
  SYMBOL_BIND_NAMES,
  SYMBOL_TYPE_NAMES,
  VISIBILITY_NAMES,
} from './names.js';
import { readelfGroups, readelfRelocations, readelfSections, readelfSymbols } from './readelf.js';

/**
 * Checks every section, symbol, relocation and group of `file` (as read from `path`) against
 * readelf's view of `path`. Section 0 of a file with extended section numbering holds the
 * section count (sh_size) and the name-table index (sh_link), which readelf shows and the
 * model derives.
 */
export async function expectSameAsReadelf(file: ElfFile, path: string): Promise<void> {
  const sections = await readelfSections(path);
  expect(file.sections.map((s) => s.index)).toEqual(sections.map((s) => s.index));
  const count = file.sections.length;
  const namesIndex = file.sectionNames?.index ?? 0;
  expect(
    file.sections.map((s, i) => ({
      index: s.index,
      name: s.name,
      type: SECTION_TYPE_NAMES[s.type] ?? String(s.type),
      addr: s.addr,
      size: i === 0 && count >= SHN_LORESERVE ? count : s.size,
      entsize: s.entsize,
      flags: flagLetters(s.flags),
      link: i === 0 && namesIndex >= SHN_LORESERVE ? namesIndex : (s.link?.index ?? 0),
      info: s instanceof ElfRelocationSection ? s.target.index : s.info,
      align: s.addralign,
    })),
  ).toEqual(sections);

  const symbols = await readelfSymbols(path);
  expect(
    file.symbols.map((s) => ({
      index: s.index,
      value: s.value,
      size: s.size,
      type: SYMBOL_TYPE_NAMES[s.type],
      bind: SYMBOL_BIND_NAMES[s.bind],
      vis: VISIBILITY_NAMES[s.visibility],
      ndx: s.section !== undefined ? String(s.section.index) : ndxName(s.shndx),
      name: s.displayName,
    })),
  ).toEqual(symbols);

  const relocations = await readelfRelocations(path);
  expect([...relocations.keys()]).toEqual(file.relocationSections.map((r) => r.name));
  for (const rela of file.relocationSections) {
    expect(
      rela.relocations.map((r) => ({
        offset: BigInt(r.offset),
        symbolIndex: r.symbol.index,
        type: r.type,
        addend: r.addend,
      })),
      rela.name,
    ).toEqual((relocations.get(rela.name) ?? []).map(({ typeName: _, ...rest }) => rest));
  }

  const groups = await readelfGroups(path);
  expect(
    file.groups.map((g) => ({
      index: g.index,
      signature: g.group.signature.name,
      members: g.group.members.map((m) => m.index),
    })),
  ).toEqual(groups);
}
