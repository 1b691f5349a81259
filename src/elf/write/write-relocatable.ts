import {
  ELF64_EHDR_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  GROUP_ENTRY_SIZE,
  SHT_NOBITS,
  SYMTAB_SHNDX_ENTRY_SIZE,
} from '../constants.js';
import type { ElfFile } from '../model/elf-file.js';
import { ElfGroupSection } from '../model/group-section.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import type { ElfSection } from '../model/section.js';
import { ElfSymbolTable } from '../model/symbol-table.js';
import { encodeGroup, encodeRelocations, encodeSymbols } from './encode-tables.js';
import {
  writeElfHeader,
  writeNullSectionHeader,
  writeSectionHeader,
  type SectionHeaderFields,
} from './encode-headers.js';
import { encodeExtendedIndexes } from './extended-indexes.js';
import { planRelocatable, type WritePlan } from './plan.js';
import { StringTableBuilder } from './string-table-builder.js';

/**
 * Writes the model as an ELF64 x86_64 relocatable object. The layout is derived from the
 * model alone: sections in model order (after a fresh null section), each aligned to its
 * sh_addralign, then the section header table. Symbol tables, the string tables they and the
 * section headers use, RELA sections, groups and the SHT_SYMTAB_SHNDX section are encoded
 * from the model with fresh indexes (locals before globals); all other contents are copied
 * from `section.data`. With SHN_LORESERVE (65280) sections or more, the file uses extended
 * section numbering (section 0 holds the count and the name-table index; symbols in sections
 * numbered that high have st_shndx SHN_XINDEX and their index in SHT_SYMTAB_SHNDX).
 *
 * Throws ElfModelError when the model refers to something it does not contain.
 */
export function writeRelocatable(file: ElfFile): Buffer {
  const plan = planRelocatable(file);
  const strings = buildStringTables(plan);
  const contents = encodeContents(plan, strings);

  const headers: SectionHeaderFields[] = [];
  let offset = ELF64_EHDR_SIZE;
  for (const section of plan.sections) {
    const data = contents.get(section);
    const align = Math.max(section.addralign, 1);
    offset = alignUp(offset, align);
    headers.push({ ...headerFields(section, plan, strings), offset, size: data?.length ?? section.size });
    if (data !== undefined) offset += data.length;
  }
  const shoff = alignUp(offset, 8);
  const shnum = plan.sections.length + 1;
  const out = Buffer.alloc(shoff + shnum * ELF64_SHDR_SIZE);

  const shstrndx = plan.sectionIndex.get(plan.sectionNames) as number;
  writeElfHeader(out, file.header, shoff, shnum, shstrndx);
  writeNullSectionHeader(out, shoff, shnum, shstrndx);
  plan.sections.forEach((section, i) => {
    const fields = headers[i] as SectionHeaderFields;
    contents.get(section)?.copy(out, fields.offset);
    writeSectionHeader(out, shoff + (i + 1) * ELF64_SHDR_SIZE, fields);
  });
  return out;
}

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/** One builder per string table the writer regenerates, filled with every name it will hold. */
function buildStringTables(plan: WritePlan): Map<ElfSection, StringTableBuilder> {
  const builders = new Map<ElfSection, StringTableBuilder>();
  const builderFor = (section: ElfSection): StringTableBuilder => {
    let builder = builders.get(section);
    if (builder === undefined) builders.set(section, (builder = new StringTableBuilder()));
    return builder;
  };
  const sectionNames = builderFor(plan.sectionNames);
  for (const section of plan.sections) sectionNames.add(section.name);
  if (plan.symbolNames !== undefined) {
    const symbolNames = builderFor(plan.symbolNames);
    for (const symbol of plan.symbols.ordered) symbolNames.add(symbol.name);
  }
  return builders;
}

/** The bytes each section will hold (none for SHT_NOBITS). */
function encodeContents(plan: WritePlan, strings: Map<ElfSection, StringTableBuilder>): Map<ElfSection, Buffer> {
  const contents = new Map<ElfSection, Buffer>();
  for (const section of plan.sections) {
    if (section.type === SHT_NOBITS) continue;
    const builder = strings.get(section);
    if (builder !== undefined) {
      contents.set(section, builder.toBuffer());
    } else if (section instanceof ElfSymbolTable) {
      contents.set(
        section,
        encodeSymbols(
          plan.symbols.ordered,
          strings.get(plan.symbolNames as ElfSection) as StringTableBuilder,
          plan.sectionIndex,
        ),
      );
    } else if (section instanceof ElfRelocationSection) {
      contents.set(section, encodeRelocations(section.relocations, plan.symbols.indexOf));
    } else if (section instanceof ElfGroupSection) {
      contents.set(section, encodeGroup(section.group, plan.sectionIndex));
    } else if (section === plan.extendedIndexes) {
      contents.set(section, encodeExtendedIndexes(plan.symbols.ordered, plan.sectionIndex));
    } else {
      contents.set(section, section.data);
    }
  }
  return contents;
}

/** Header fields other than offset and size, with links and infos turned into indexes. */
function headerFields(
  section: ElfSection,
  plan: WritePlan,
  strings: Map<ElfSection, StringTableBuilder>,
): SectionHeaderFields {
  const index = (s: ElfSection | undefined): number => (s === undefined ? 0 : (plan.sectionIndex.get(s) as number));
  const fields: SectionHeaderFields = {
    name: (strings.get(plan.sectionNames) as StringTableBuilder).offsetOf(section.name),
    type: section.type,
    flags: section.flags,
    addr: section.addr,
    offset: 0,
    size: 0,
    link: index(section.link),
    info: section.infoSection !== undefined ? index(section.infoSection) : section.info,
    addralign: section.addralign,
    entsize: section.entsize,
  };
  if (section instanceof ElfSymbolTable) {
    return { ...fields, link: index(plan.symbolNames), info: plan.symbols.firstNonLocal, entsize: ELF64_SYM_SIZE };
  }
  if (section instanceof ElfRelocationSection) {
    return { ...fields, link: index(plan.symtab), info: index(section.target), entsize: ELF64_RELA_SIZE };
  }
  if (section === plan.extendedIndexes) {
    return { ...fields, link: index(plan.symtab), info: 0, entsize: SYMTAB_SHNDX_ENTRY_SIZE };
  }
  if (section instanceof ElfGroupSection) {
    return {
      ...fields,
      link: index(plan.symtab),
      info: plan.symbols.indexOf.get(section.group.signature) as number,
      entsize: GROUP_ENTRY_SIZE,
    };
  }
  return fields;
}
