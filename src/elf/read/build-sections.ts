import { SHF_INFO_LINK, SHT_DYNSYM, SHT_GROUP, SHT_NOBITS, SHT_NULL, SHT_SYMTAB } from '../constants.js';
import { ElfGroupSection } from '../model/group-section.js';
import { Lazy } from '../model/lazy.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import { ElfSection, type SectionInit } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import { ElfSymbolTable } from '../model/symbol-table.js';
import type { RawSectionHeader } from './elfy-adapter.js';
import type { FileView } from './file-view.js';
import { decodeGroup } from './groups.js';
import { decodeRelocations } from './relocations.js';
import { appliesToOneSection, checkSectionHeader } from './section-checks.js';
import { StringTableReader } from './string-table.js';
import { decodeSymbols } from './symbols.js';

/**
 * Turns the checked section headers into model sections. Contents stay in the file buffer
 * until asked for; symbols, relocations and groups are decoded on first access.
 *
 * Decoders work on private copies of the section list and of each symbol list, so a caller
 * who edits `file.sections` or `symtab.symbols` before touching a lazy part still gets the
 * indexes of the file as it was read.
 */
export function buildSections(view: FileView, raws: readonly RawSectionHeader[], shstrndx: number, fileType: number): ElfSection[] {
  const shstrtab = raws[shstrndx] as RawSectionHeader;
  const names = new StringTableReader(view, view.slice(shstrtab.offset, shstrtab.size, 'section-name string table'), 'section-name string table');
  const sectionNames = raws.map((raw) => names.get(raw.nameOffset, `section header ${raw.index}`));
  raws.forEach((raw, i) => checkSectionHeader(view, raw, raws, sectionNames[i] as string));

  // The bytes of each section, read once and shared by `data` and the decoders.
  const contents = raws.map((raw) => {
    if (raw.type === SHT_NULL || raw.type === SHT_NOBITS) return Lazy.of(Buffer.alloc(0));
    return new Lazy(() => view.slice(raw.offset, raw.size, `contents of section ${raw.index} (${sectionNames[raw.index]})`));
  });
  const bytesOf = (index: number): Buffer => (contents[index] as Lazy<Buffer>).get();

  const sections: ElfSection[] = [];
  const symbolLists = new Map<number, Lazy<ElfSymbol[]>>();
  const symbolsOf = (tableIndex: number): ElfSymbol[] => (symbolLists.get(tableIndex) as Lazy<ElfSymbol[]>).get();

  for (const raw of raws) {
    const name = sectionNames[raw.index] as string;
    const init: SectionInit = {
      name,
      type: raw.type,
      flags: raw.flags,
      addr: raw.addr,
      addralign: raw.addralign,
      entsize: raw.entsize,
      info: raw.info,
      size: raw.type === SHT_NULL ? 0 : raw.size,
      data: () => bytesOf(raw.index),
    };
    let section: ElfSection;
    if (raw.type === SHT_SYMTAB || raw.type === SHT_DYNSYM) {
      const decoded = new Lazy(() => {
        const strings = new StringTableReader(view, bytesOf(raw.link), `string table of ${name}`);
        return decodeSymbols(view, bytesOf(raw.index), name, strings, sections, fileType);
      });
      symbolLists.set(raw.index, decoded);
      section = new ElfSymbolTable(init, () => decoded.get().slice());
    } else if (appliesToOneSection(raw)) {
      // The target is patched in below, once every section object exists.
      section = new ElfRelocationSection({ ...init, target: undefined as unknown as ElfSection }, () =>
        decodeRelocations(view, bytesOf(raw.index), name, sections[raw.info] as ElfSection, symbolsOf(raw.link), fileType),
      );
    } else if (raw.type === SHT_GROUP) {
      section = new ElfGroupSection(init, () => decodeGroup(view, bytesOf(raw.index), raw.info, name, sections, symbolsOf(raw.link)));
    } else {
      section = new ElfSection(init);
    }
    section.index = raw.index;
    section.fileOffset = raw.type === SHT_NULL ? 0 : raw.offset;
    sections.push(section);
  }

  for (const raw of raws) {
    const section = sections[raw.index] as ElfSection;
    section.link = raw.link === 0 ? undefined : sections[raw.link];
    if (section instanceof ElfRelocationSection) {
      section.target = sections[raw.info] as ElfSection;
    } else if ((raw.flags & SHF_INFO_LINK) !== 0 && raw.info !== 0) {
      section.infoSection = sections[raw.info];
      if (section.infoSection === undefined) view.fail(`section ${raw.index} (${section.name}) has sh_info ${raw.info}, which is not a section`);
    }
  }
  return sections.slice();
}
