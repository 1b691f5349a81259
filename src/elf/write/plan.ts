import {
  EM_X86_64,
  ET_REL,
  SHN_XINDEX,
  SHT_DYNSYM,
  SHT_GROUP,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  isSpecialSectionIndex,
} from '../constants.js';
import { ElfModelError } from '../errors.js';
import type { ElfFile } from '../model/elf-file.js';
import { ElfGroupSection } from '../model/group-section.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import type { ElfSection } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import { ElfSymbolTable } from '../model/symbol-table.js';
import { withExtendedIndexSection } from './extended-indexes.js';
import { orderSymbols, type SymbolOrder } from './symbol-order.js';

/** Everything the encoder needs, with every cross reference of the model checked. */
export interface WritePlan {
  /** Output sections after the null section: output index = position + 1. */
  sections: ElfSection[];
  sectionIndex: Map<ElfSection, number>;
  symtab: ElfSymbolTable | undefined;
  /** The SHT_SYMTAB_SHNDX section written (the model's, or one added because symbols need it). */
  extendedIndexes: ElfSection | undefined;
  symbols: SymbolOrder;
  /** String table the symbol names go to (symtab.link). */
  symbolNames: ElfSection | undefined;
  /** String table the section names go to. */
  sectionNames: ElfSection;
}

/** Largest section alignment written (kernel objects use at most a page or two). */
const MAX_ALIGN = 1 << 24;

/** Section types whose contents hold indexes this writer cannot remap. */
const UNSUPPORTED_TYPES = new Map([
  [SHT_REL, 'SHT_REL (x86_64 objects use SHT_RELA)'],
  [SHT_DYNSYM, 'SHT_DYNSYM (dynamic symbols)'],
]);

export function planRelocatable(file: ElfFile): WritePlan {
  const fail = (what: string): never => {
    throw new ElfModelError(file.path, what);
  };
  if (file.header.type !== ET_REL)
    fail(`e_type is ${file.header.type}; only relocatable objects (ET_REL) can be written`);
  if (file.header.machine !== EM_X86_64) fail(`e_machine is ${file.header.machine}; only x86_64 is supported`);

  const modelSections = file.sections.filter((s) => s.type !== SHT_NULL);
  const symtabs = modelSections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) fail('more than one SHT_SYMTAB section');
  const symtab = symtabs[0];
  if (symtab !== undefined && !(symtab instanceof ElfSymbolTable))
    fail(`section ${symtab.name} is SHT_SYMTAB but not a symbol table object`);

  const { sections, extendedIndexes } = withExtendedIndexSection(
    modelSections,
    symtab as ElfSymbolTable | undefined,
    fail,
  );
  const sectionIndex = new Map<ElfSection, number>();
  sections.forEach((section, i) => {
    if (sectionIndex.has(section)) fail(`section ${section.name} appears twice in the section list`);
    sectionIndex.set(section, i + 1);
  });
  const has = (section: ElfSection | undefined): boolean => section !== undefined && sectionIndex.has(section);

  const symbolNames = symtab?.link;
  if (symtab !== undefined && (!has(symbolNames) || symbolNames?.type !== SHT_STRTAB)) {
    fail(`symbol table ${symtab.name} must link to a string table that is in the object`);
  }
  const sectionNames = file.sectionNames;
  if (sectionNames === undefined || !has(sectionNames) || sectionNames.type !== SHT_STRTAB) {
    fail('the section-name string table (sectionNames) must be a string table that is in the object');
  }

  const symbolList = (symtab as ElfSymbolTable | undefined)?.symbols ?? [];
  const symbols = orderSymbols(symbolList);
  if (symbols.indexOf.size !== symbolList.length) fail('a symbol object appears twice in the symbol table');
  symbolList.forEach((symbol) => checkSymbol(symbol, has, fail));
  const known = (symbol: ElfSymbol): boolean => symbols.indexOf.has(symbol);

  for (const section of sections) {
    const what = `section ${section.name}`;
    const unsupported = UNSUPPORTED_TYPES.get(section.type);
    if (unsupported !== undefined) fail(`${what} is ${unsupported}, which this writer cannot encode`);
    const align = section.addralign;
    if (!Number.isSafeInteger(align) || align < 0 || align > MAX_ALIGN || (align & (align - 1)) !== 0) {
      fail(`${what} has sh_addralign ${align}; it must be 0 or a power of two up to ${MAX_ALIGN}`);
    }
    if (section.link !== undefined && !has(section.link))
      fail(`${what} links to section ${section.link.name}, which is not in the object`);
    if (section.infoSection !== undefined && !has(section.infoSection))
      fail(`${what} has sh_info naming section ${section.infoSection.name}, which is not in the object`);
    if (section.type === SHT_RELA) {
      if (!(section instanceof ElfRelocationSection)) fail(`${what} is SHT_RELA without a target section`);
      checkRelocationSection(section as ElfRelocationSection, symtab, has, known, fail);
    }
    if (section.type === SHT_GROUP) {
      if (!(section instanceof ElfGroupSection)) fail(`${what} is SHT_GROUP but not a group object`);
      const { signature, members } = (section as ElfGroupSection).group;
      if (section.link !== symtab) fail(`${what} must link to the symbol table`);
      if (!known(signature)) fail(`${what} has signature symbol ${signature.name}, which is not in the symbol table`);
      for (const member of members)
        if (!has(member)) fail(`${what} lists section ${member.name}, which is not in the object`);
    }
  }

  return {
    sections,
    sectionIndex,
    symtab: symtab as ElfSymbolTable | undefined,
    extendedIndexes,
    symbols,
    symbolNames,
    sectionNames: sectionNames as ElfSection,
  };
}

function checkSymbol(
  symbol: ElfSymbol,
  has: (s: ElfSection | undefined) => boolean,
  fail: (what: string) => never,
): void {
  const what = `symbol ${symbol.displayName || '(unnamed)'}`;
  if (symbol.section !== undefined) {
    if (!has(symbol.section)) fail(`${what} is defined in section ${symbol.section.name}, which is not in the object`);
    // SHN_XINDEX (as read from a file with extended numbering) only says where the index was.
    if (symbol.shndx !== 0 && symbol.shndx !== SHN_XINDEX && isSpecialSectionIndex(symbol.shndx)) {
      fail(
        `${what} has both a section (${symbol.section.name}) and the special index 0x${symbol.shndx.toString(16)}; clear one`,
      );
    }
  } else if (!isSpecialSectionIndex(symbol.shndx) || symbol.shndx === SHN_XINDEX) {
    fail(
      `${what} has section index ${symbol.shndx === SHN_XINDEX ? 'SHN_XINDEX' : symbol.shndx} but no section object`,
    );
  }
  if (symbol.value < 0n || symbol.value > 0xffffffffffffffffn)
    fail(`${what} has value ${symbol.value} outside 64 bits`);
  if (!Number.isSafeInteger(symbol.size) || symbol.size < 0) fail(`${what} has invalid size ${symbol.size}`);
}

function checkRelocationSection(
  section: ElfRelocationSection,
  symtab: ElfSection | undefined,
  has: (s: ElfSection | undefined) => boolean,
  known: (s: ElfSymbol) => boolean,
  fail: (what: string) => never,
): void {
  const what = `relocation section ${section.name}`;
  if (!has(section.target)) fail(`${what} applies to section ${section.target.name}, which is not in the object`);
  if (symtab === undefined || section.link !== symtab) fail(`${what} must link to the symbol table`);
  section.relocations.forEach((r, i) => {
    if (!known(r.symbol))
      fail(
        `relocation ${i} of ${what} refers to symbol ${r.symbol.displayName || '(unnamed)'}, which is not in the symbol table`,
      );
    if (!Number.isSafeInteger(r.offset) || r.offset < 0)
      fail(`relocation ${i} of ${what} has invalid offset ${r.offset}`);
    if (r.addend < -(2n ** 63n) || r.addend >= 2n ** 63n)
      fail(`relocation ${i} of ${what} has addend ${r.addend} outside 64 bits`);
    if (!Number.isInteger(r.type) || r.type < 0 || r.type > 0xffffffff)
      fail(`relocation ${i} of ${what} has invalid type ${r.type}`);
  });
}
