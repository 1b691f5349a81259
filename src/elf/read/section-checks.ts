import {
  ELF64_RELA_SIZE, ELF64_SYM_SIZE, GROUP_ENTRY_SIZE, SHT_DYNSYM, SHT_GROUP, SHT_NOBITS, SHT_NULL, SHT_RELA,
  SHT_STRTAB, SHT_SYMTAB,
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
 */
export function checkSectionHeader(view: FileView, raw: RawSectionHeader, all: readonly RawSectionHeader[], name: string): void {
  const what = `section ${raw.index} (${name})`;
  if (raw.type !== SHT_NOBITS && raw.type !== SHT_NULL) view.checkRange(raw.offset, raw.size, `contents of ${what}`);
  if (raw.link >= all.length) view.fail(`${what} has sh_link ${raw.link}, but there are only ${all.length} sections`);
  if (raw.addralign >= 2 ** 31) view.fail(`${what} has sh_addralign ${raw.addralign}, too large`);
  if (raw.addralign !== 0 && (raw.addralign & (raw.addralign - 1)) !== 0) {
    view.fail(`${what} has sh_addralign ${raw.addralign}, not a power of two`);
  }

  switch (raw.type) {
    case SHT_SYMTAB:
    case SHT_DYNSYM:
      checkRecords(view, raw, ELF64_SYM_SIZE, what);
      checkLinkType(view, raw, all, [SHT_STRTAB], what);
      if (raw.info > raw.size / ELF64_SYM_SIZE) view.fail(`${what} has sh_info ${raw.info} beyond its ${raw.size / ELF64_SYM_SIZE} symbols`);
      break;
    case SHT_RELA:
      checkRecords(view, raw, ELF64_RELA_SIZE, what);
      if (appliesToOneSection(raw)) {
        checkLinkType(view, raw, all, [SHT_SYMTAB, SHT_DYNSYM], what);
        if (raw.info >= all.length) view.fail(`${what} applies to section ${raw.info}, but there are only ${all.length} sections`);
      }
      break;
    case SHT_GROUP:
      if (raw.entsize !== GROUP_ENTRY_SIZE) view.fail(`${what} has sh_entsize ${raw.entsize}, expected ${GROUP_ENTRY_SIZE}`);
      if (raw.size < GROUP_ENTRY_SIZE || raw.size % GROUP_ENTRY_SIZE !== 0) view.fail(`${what} has size ${raw.size}, not a whole number of 4-byte words`);
      checkLinkType(view, raw, all, [SHT_SYMTAB], what);
      break;
    default:
      break;
  }
}

function checkRecords(view: FileView, raw: RawSectionHeader, recordSize: number, what: string): void {
  if (raw.entsize !== recordSize) view.fail(`${what} has sh_entsize ${raw.entsize}, expected ${recordSize}`);
  if (raw.size % recordSize !== 0) view.fail(`${what} has size ${raw.size}, not a multiple of ${recordSize}`);
}

function checkLinkType(view: FileView, raw: RawSectionHeader, all: readonly RawSectionHeader[], types: number[], what: string): void {
  const linked = all[raw.link];
  if (raw.link === 0 || linked === undefined || !types.includes(linked.type)) {
    view.fail(`${what} has sh_link ${raw.link}, which is not a section of type ${types.join(' or ')}`);
  }
}
