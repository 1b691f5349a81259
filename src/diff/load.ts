/**
 * Build the differ's view (model.ts) of an object file read by the shared ELF model.
 */
import { readElfSync } from '../elf/read/read-elf.js';
import type { ElfFile } from '../elf/model/elf-file.js';
import type { ElfSection } from '../elf/model/section.js';
import type { ElfSymbol } from '../elf/model/symbol.js';
import { ElfRelocationSection } from '../elf/model/relocation-section.js';
import { ElfGroupSection } from '../elf/model/group-section.js';
import { ET_REL, SHF_STRINGS, STT_SECTION } from '../elf/constants.js';
import { R_X86_64_PC32, R_X86_64_PLT32 } from '../arch/x86_64/relocations.js';
import { instructionAt, instructionStarts } from '../arch/x86_64/insn-length.js';
import { UserError } from '../util/errors.js';
import {
  isDebugSection,
  isTextSection,
  type DiffObject,
  type DiffRelocation,
  type DiffSection,
  type DiffSymbol,
} from './model.js';

function viewSection(section: ElfSection): DiffSection {
  return {
    source: section,
    index: section.index,
    name: section.name,
    type: section.type,
    // The bits as a signed number (bit 31, SHF_EXCLUDE, makes it negative; see DiffSection.flags).
    flags: section.flags | 0,
    addralign: section.addralign,
    entsize: section.entsize,
    link: 0,
    info: section.info,
    size: section.size,
    data: section.data,
    // Every field present from the start keeps all views one object shape (fast property access).
    base: undefined,
    rela: undefined,
    relocations: [],
    sectionSymbol: undefined,
    bundled: undefined,
    twin: undefined,
    status: 'new',
    include: false,
    ignore: false,
    grouped: false,
    instructionStarts: undefined,
  };
}

function viewSymbol(symbol: ElfSymbol, section: DiffSection | undefined): DiffSymbol {
  return {
    source: symbol,
    index: symbol.index,
    // Section symbols are known by their section's name.
    name: symbol.type === STT_SECTION && section ? section.name : symbol.name,
    type: symbol.type,
    bind: symbol.bind,
    other: symbol.other,
    shndx: symbol.shndx,
    value: Number(symbol.value),
    size: symbol.size,
    section,
    prefix: undefined,
    parent: undefined,
    children: [],
    hasFentryCall: false,
    twin: undefined,
    status: 'new',
    include: false,
  };
}

/**
 * The NUL-terminated string at `offset` of a string section (latin1: bytes in, bytes out).
 * Each section is decoded once per object, into `texts`; strings are slices of that text.
 */
function cString(section: DiffSection, offset: number, texts: Map<DiffSection, string>): string | undefined {
  let text = texts.get(section);
  if (text === undefined) {
    const data = section.data;
    text = (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length)).toString('latin1');
    texts.set(section, text);
  }
  if (offset < 0 || offset >= text.length) return undefined;
  const end = text.indexOf('\0', offset);
  return text.slice(offset, end < 0 ? text.length : end);
}

/** Offset inside the referenced section that a relocation designates. */
function targetOffset(base: DiffSection, relocation: DiffRelocation): number | undefined {
  let bias = 0;
  if ((relocation.type === R_X86_64_PC32 || relocation.type === R_X86_64_PLT32) && isTextSection(base)) {
    if (base.instructionStarts === undefined) base.instructionStarts = instructionStarts(base.data) ?? null;
    const instruction = base.instructionStarts ? instructionAt(base.instructionStarts, relocation.offset) : undefined;
    if (!instruction) return undefined;
    bias = instruction.end - relocation.offset;
  }
  return relocation.symbol.value + relocation.addend + bias;
}

/**
 * The differ's view of `elf`, a file as read (its `index` fields are still its section and
 * symbol table positions: views are looked up by them, no maps). This runs over every
 * section, symbol and relocation of both inputs, mostly before the JIT has warmed up, so its
 * loops are plain indexed ones.
 */
export function viewObject(elf: ElfFile): DiffObject {
  if (elf.header.type !== ET_REL) {
    throw new UserError(`${elf.path}: not a relocatable object (ELF type ${elf.header.type})`);
  }
  const elfSections = elf.sections;
  /** Views by section index; [0], the null section, has none. */
  const sectionAt = new Array<DiffSection | undefined>(elfSections.length);
  const sections = new Array<DiffSection>(elfSections.length - 1);
  for (let i = 1; i < elfSections.length; i++) {
    const view = viewSection(elfSections[i] as ElfSection);
    sectionAt[i] = view;
    sections[i - 1] = view;
  }

  const elfSymbols = elf.symbols;
  const symbols = new Array<DiffSymbol>(elfSymbols.length);
  const symbolsByName = new Map<string, DiffSymbol>();
  for (let i = 0; i < elfSymbols.length; i++) {
    const symbol = elfSymbols[i] as ElfSymbol;
    const section = symbol.section ? sectionAt[symbol.section.index] : undefined;
    const view = viewSymbol(symbol, section);
    symbols[i] = view;
    if (view.type === STT_SECTION && section) section.sectionSymbol ??= view;
    else if (!symbolsByName.has(view.name)) symbolsByName.set(view.name, view);
  }

  for (let i = 1; i < elfSections.length; i++) {
    const section = elfSections[i] as ElfSection;
    if (section instanceof ElfRelocationSection) {
      const rela = sectionAt[i] as DiffSection;
      const base = sectionAt[section.target.index];
      if (!base) throw new UserError(`${elf.path}: relocation section ${section.name} applies to no section`);
      rela.base = base;
      base.rela = rela;
      // Debug info is neither compared nor shipped: leave its (many) relocations undecoded.
      if (isDebugSection(rela)) continue;
      rela.relocations = viewRelocations(section, symbols);
    } else if (section instanceof ElfGroupSection) {
      for (const member of section.group.members) {
        const view = sectionAt[member.index];
        if (view) view.grouped = true;
      }
    }
  }

  const texts = new Map<DiffSection, string>();
  const sectionsByName = new Map<string, DiffSection>();
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i] as DiffSection;
    if (section.base) resolveStrings(section.base, section.relocations, texts);
    if (!sectionsByName.has(section.name)) sectionsByName.set(section.name, section);
  }
  const { type, machine, osabi, abiversion, flags } = elf.header;
  return {
    path: elf.path,
    header: { type, machine, osabi, abiversion, flags },
    sections,
    symbols,
    sectionsByName,
    symbolsByName,
  };
}

/** The relocations of `section` as the differ sees them; `symbols` are the views by symbol index. */
function viewRelocations(section: ElfRelocationSection, symbols: readonly DiffSymbol[]): DiffRelocation[] {
  return section.mapEntries((offset, type, symbol, addend) => ({
    offset,
    type,
    symbol: symbols[symbol.index] as DiffSymbol,
    addend,
    string: undefined,
  }));
}

/** Give references into mergeable string sections the string they point at. */
function resolveStrings(
  base: DiffSection,
  relocations: readonly DiffRelocation[],
  texts: Map<DiffSection, string>,
): void {
  for (let i = 0; i < relocations.length; i++) {
    const relocation = relocations[i] as DiffRelocation;
    const target = relocation.symbol.section;
    if (!target || (target.flags & SHF_STRINGS) === 0) continue;
    const offset = targetOffset(base, relocation);
    const text = offset === undefined ? undefined : cString(target, offset, texts);
    if (text !== undefined) relocation.string = text;
  }
}

export function loadObject(path: string): DiffObject {
  return viewObject(readElfSync(path));
}
