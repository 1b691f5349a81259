import {
  ELF64_RELA_SIZE,
  ELF64_SYM_SIZE,
  GROUP_ENTRY_SIZE,
  SHT_DYNSYM,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_NULL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  SYMTAB_SHNDX_ENTRY_SIZE,
} from '../constants.js';
import type { RawSectionHeader } from './elfy-adapter.js';
import type { FileView } from './file-view.js';

/** True for a relocation section that applies to one section (not .rela.dyn-style tables). */
export function appliesToOneSection(raw: RawSectionHeader): boolean {
  return raw.type === SHT_RELA && raw.info !== 0;
}

/**
 * Checks one section header against the file and the rest of the table: contents inside the
 * file, links and infos that name existing sections of the right type, record sizes that
 * divide the contents. Everything the lazy decoders later assume is checked here, eagerly.
 * (Messages are only put together on failure: this runs for every section read.)
 */
export function checkSectionHeader(
  view: FileView,
  raw: RawSectionHeader,
  all: readonly RawSectionHeader[],
  name: string,
): void {
  if (raw.type !== SHT_NOBITS && raw.type !== SHT_NULL && !view.inRange(raw.offset, raw.size)) {
    view.failRange(raw.offset, raw.size, `contents of ${describe(raw, name)}`);
  }
  if (raw.link >= all.length)
    failSection(view, raw, name, `has sh_link ${raw.link}, but there are only ${all.length} sections`);
  if (raw.addralign >= 2 ** 31) failSection(view, raw, name, `has sh_addralign ${raw.addralign}, too large`);
  if (raw.addralign !== 0 && (raw.addralign & (raw.addralign - 1)) !== 0) {
    failSection(view, raw, name, `has sh_addralign ${raw.addralign}, not a power of two`);
  }

  switch (raw.type) {
    case SHT_SYMTAB:
    case SHT_DYNSYM:
      checkRecords(view, raw, name, ELF64_SYM_SIZE);
      checkLinkType(view, raw, all, name, SHT_STRTAB);
      if (raw.info > raw.size / ELF64_SYM_SIZE)
        failSection(view, raw, name, `has sh_info ${raw.info} beyond its ${raw.size / ELF64_SYM_SIZE} symbols`);
      break;
    case SHT_RELA:
      checkRecords(view, raw, name, ELF64_RELA_SIZE);
      if (appliesToOneSection(raw)) {
        checkLinkType(view, raw, all, name, SHT_SYMTAB, SHT_DYNSYM);
        if (raw.info >= all.length)
          failSection(view, raw, name, `applies to section ${raw.info}, but there are only ${all.length} sections`);
      }
      break;
    case SHT_GROUP:
      if (raw.entsize !== GROUP_ENTRY_SIZE)
        failSection(view, raw, name, `has sh_entsize ${raw.entsize}, expected ${GROUP_ENTRY_SIZE}`);
      if (raw.size < GROUP_ENTRY_SIZE || raw.size % GROUP_ENTRY_SIZE !== 0) {
        failSection(view, raw, name, `has size ${raw.size}, not a whole number of 4-byte words`);
      }
      checkLinkType(view, raw, all, name, SHT_SYMTAB);
      break;
    case SHT_SYMTAB_SHNDX: {
      checkRecords(view, raw, name, SYMTAB_SHNDX_ENTRY_SIZE);
      checkLinkType(view, raw, all, name, SHT_SYMTAB);
      const symbols = (all[raw.link] as RawSectionHeader).size / ELF64_SYM_SIZE;
      if (raw.size / SYMTAB_SHNDX_ENTRY_SIZE !== symbols) {
        failSection(
          view,
          raw,
          name,
          `has ${raw.size / SYMTAB_SHNDX_ENTRY_SIZE} entries, but its symbol table has ${symbols} symbols`,
        );
      }
      break;
    }
    default:
      break;
  }
}

function describe(raw: RawSectionHeader, name: string): string {
  return `section ${raw.index} (${name})`;
}

function failSection(view: FileView, raw: RawSectionHeader, name: string, problem: string): never {
  view.fail(`${describe(raw, name)} ${problem}`);
}

function checkRecords(view: FileView, raw: RawSectionHeader, name: string, recordSize: number): void {
  if (raw.entsize !== recordSize) failSection(view, raw, name, `has sh_entsize ${raw.entsize}, expected ${recordSize}`);
  if (raw.size % recordSize !== 0)
    failSection(view, raw, name, `has size ${raw.size}, not a multiple of ${recordSize}`);
}

/** sh_link must name a section of type `type` (or `otherType`). */
function checkLinkType(
  view: FileView,
  raw: RawSectionHeader,
  all: readonly RawSectionHeader[],
  name: string,
  type: number,
  otherType = type,
): void {
  const linked = all[raw.link];
  if (raw.link === 0 || linked === undefined || (linked.type !== type && linked.type !== otherType)) {
    const types = type === otherType ? `${type}` : `${type} or ${otherType}`;
    failSection(view, raw, name, `has sh_link ${raw.link}, which is not a section of type ${types}`);
  }
}
