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
import { isDebugSection, isTextSection, type DiffObject, type DiffRelocation, type DiffSection, type DiffSymbol } from './model.js';

function viewSection(section: ElfSection): DiffSection {
  return {
    source: section,
    index: section.index,
    name: section.name,
    type: section.type,
    flags: section.flags,
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

/** The NUL-terminated string at `offset` of `data` (latin1: bytes in, bytes out). */
function cString(data: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= data.length) return undefined;
  let end = offset;
  while (end < data.length && data[end] !== 0) end++;
  return Buffer.from(data.buffer, data.byteOffset + offset, end - offset).toString('latin1');
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

export function viewObject(elf: ElfFile): DiffObject {
  if (elf.header.type !== ET_REL) {
    throw new UserError(`${elf.path}: not a relocatable object (ELF type ${elf.header.type})`);
  }
  const sectionOf = new Map<ElfSection, DiffSection>();
  const sections: DiffSection[] = [];
  for (const section of elf.sections.slice(1)) {
    const view = viewSection(section);
    sectionOf.set(section, view);
    sections.push(view);
  }

  const symbolOf = new Map<ElfSymbol, DiffSymbol>();
  const symbols: DiffSymbol[] = [];
  const symbolsByName = new Map<string, DiffSymbol>();
  for (const symbol of elf.symbols) {
    const section = symbol.section ? sectionOf.get(symbol.section) : undefined;
    const view = viewSymbol(symbol, section);
    symbolOf.set(symbol, view);
    symbols.push(view);
    if (view.type === STT_SECTION && section) section.sectionSymbol ??= view;
    else if (!symbolsByName.has(view.name)) symbolsByName.set(view.name, view);
  }

  for (const section of elf.sections) {
    if (section instanceof ElfRelocationSection) {
      const rela = sectionOf.get(section)!;
      const base = sectionOf.get(section.target);
      if (!base) throw new UserError(`${elf.path}: relocation section ${section.name} applies to no section`);
      rela.base = base;
      base.rela = rela;
      // Debug info is neither compared nor shipped: leave its (many) relocations undecoded.
      if (isDebugSection(rela)) continue;
      rela.relocations = section.relocations.map((relocation) => ({
        offset: relocation.offset,
        type: relocation.type,
        symbol: symbolOf.get(relocation.symbol)!,
        addend: Number(relocation.addend),
        string: undefined,
      }));
    } else if (section instanceof ElfGroupSection) {
      for (const member of section.group.members) {
        const view = sectionOf.get(member);
        if (view) view.grouped = true;
      }
    }
  }

  for (const rela of sections) {
    if (!rela.base) continue;
    for (const relocation of rela.relocations) {
      const target = relocation.symbol.section;
      if (!target || (target.flags & SHF_STRINGS) === 0) continue;
      const offset = targetOffset(rela.base, relocation);
      const text = offset === undefined ? undefined : cString(target.data, offset);
      if (text !== undefined) relocation.string = text;
    }
  }

  const sectionsByName = new Map<string, DiffSection>();
  for (const section of sections) if (!sectionsByName.has(section.name)) sectionsByName.set(section.name, section);
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

export function loadObject(path: string): DiffObject {
  return viewObject(readElfSync(path));
}
