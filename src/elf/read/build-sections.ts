import { SHF_INFO_LINK, SHT_DYNSYM, SHT_GROUP, SHT_NULL, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from '../constants.js';
import { ElfGroupSection } from '../model/group-section.js';
import { Lazy } from '../model/lazy.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import { ElfSection, type SectionInit } from '../model/section.js';
import type { ElfSymbol } from '../model/symbol.js';
import { ElfSymbolTable } from '../model/symbol-table.js';
import type { RawSectionHeader } from './elfy-adapter.js';
import type { FileView } from './file-view.js';
import { decodeGroup } from './groups.js';
import { decodeRelocations, mapRelocations } from './relocations.js';
import { appliesToOneSection, checkSectionHeader } from './section-checks.js';
import { SectionContents } from './section-contents.js';
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
export function buildSections(
  view: FileView,
  raws: readonly RawSectionHeader[],
  shstrndx: number,
  fileType: number,
): ElfSection[] {
  const shstrtab = raws[shstrndx] as RawSectionHeader;
  const names = new StringTableReader(
    view,
    view.slice(shstrtab.offset, shstrtab.size, 'section-name string table'),
    'section-name string table',
  );
  const sectionNames = new Array<string>(raws.length);
  for (const raw of raws) {
    const name = names.lookup(raw.nameOffset);
    if (name === undefined) view.fail(`section header ${raw.index} ${names.problem(raw.nameOffset)}`);
    sectionNames[raw.index] = name;
    checkSectionHeader(view, raw, raws, name);
  }

  // The bytes of each section, read once and shared by `data` and the decoders.
  const contents = new SectionContents(view, raws, sectionNames);
  const extendedIndexes = extendedIndexSections(view, raws);
  const sections: ElfSection[] = [];
  const symbolLists = new Array<Lazy<ElfSymbol[]> | undefined>(raws.length);
  const symbolsOf = (tableIndex: number): ElfSymbol[] => (symbolLists[tableIndex] as Lazy<ElfSymbol[]>).get();

  // One init object for all sections: the constructors copy its fields.
  const init: SectionInit & { target: ElfSection } = {
    name: '',
    type: 0,
    flags: 0,
    addr: 0n,
    addralign: 0,
    entsize: 0,
    info: 0,
    size: 0,
    data: undefined,
    // Relocation sections only; set below, once every section object exists.
    target: undefined as unknown as ElfSection,
  };
  for (const raw of raws) {
    const name = sectionNames[raw.index] as string;
    init.name = name;
    init.type = raw.type;
    init.flags = raw.flags;
    init.addr = raw.addr;
    init.addralign = raw.addralign;
    init.entsize = raw.entsize;
    // Section 0's sh_size and sh_link hold the section count and the name-table index of a
    // file with extended numbering: nothing the model keeps (the writer derives them).
    init.info = raw.type === SHT_NULL ? 0 : raw.info;
    init.size = raw.type === SHT_NULL ? 0 : raw.size;
    init.data = () => contents.bytesOf(raw.index);
    let section: ElfSection;
    if (raw.type === SHT_SYMTAB || raw.type === SHT_DYNSYM) {
      const decoded = new Lazy(() => {
        const strings = new StringTableReader(view, contents.bytesOf(raw.link), `string table of ${name}`);
        const shndxIndex = extendedIndexes.get(raw.index);
        const shndx = shndxIndex === undefined ? undefined : contents.bytesOf(shndxIndex);
        return decodeSymbols(view, contents.bytesOf(raw.index), name, strings, sections, fileType, shndx);
      });
      symbolLists[raw.index] = decoded;
      section = new ElfSymbolTable(init, () => decoded.get().slice());
    } else if (appliesToOneSection(raw)) {
      section = new ElfRelocationSection(
        init,
        () =>
          decodeRelocations(
            view,
            contents.bytesOf(raw.index),
            name,
            sections[raw.info] as ElfSection,
            symbolsOf(raw.link),
            fileType,
          ),
        (make) =>
          mapRelocations(
            view,
            contents.bytesOf(raw.index),
            name,
            sections[raw.info] as ElfSection,
            symbolsOf(raw.link),
            fileType,
            make,
          ),
      );
    } else if (raw.type === SHT_GROUP) {
      section = new ElfGroupSection(init, () =>
        decodeGroup(view, contents.bytesOf(raw.index), raw.info, name, sections, symbolsOf(raw.link)),
      );
    } else {
      section = new ElfSection(init);
    }
    section.index = raw.index;
    section.fileOffset = raw.type === SHT_NULL ? 0 : raw.offset;
    sections.push(section);
  }

  for (const raw of raws) {
    const section = sections[raw.index] as ElfSection;
    section.link = raw.link === 0 || raw.type === SHT_NULL ? undefined : sections[raw.link];
    if (section instanceof ElfRelocationSection) {
      section.target = sections[raw.info] as ElfSection;
    } else if ((raw.flags & SHF_INFO_LINK) !== 0 && raw.info !== 0) {
      section.infoSection = sections[raw.info];
      if (section.infoSection === undefined)
        view.fail(`section ${raw.index} (${section.name}) has sh_info ${raw.info}, which is not a section`);
    }
  }
  return sections.slice();
}

/** For each symbol table with one, the index of its SHT_SYMTAB_SHNDX section (links were checked). */
function extendedIndexSections(view: FileView, raws: readonly RawSectionHeader[]): Map<number, number> {
  const byTable = new Map<number, number>();
  for (const raw of raws) {
    if (raw.type !== SHT_SYMTAB_SHNDX) continue;
    if (byTable.has(raw.link))
      view.fail(
        `symbol table ${raw.link} has more than one SHT_SYMTAB_SHNDX section (${byTable.get(raw.link)} and ${raw.index})`,
      );
    byTable.set(raw.link, raw.index);
  }
  return byTable;
}
