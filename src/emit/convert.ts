import {
  ElfRelocationSection,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_RELA_LIVEPATCH,
  SHN_LIVEPATCH,
  type ElfFile,
  type Relocation,
} from '../elf/index.js';
import { UserError } from '../util/errors.js';
import { klpRelaSectionName, parseKlpSymbolName } from './klp-names.js';

export interface ConversionSummary {
  /** Relocations moved to .klp.rela sections, per section name. */
  klpRelaSections: Record<string, number>;
  klpSymbols: string[];
}

/**
 * Turn a linked livepatch .ko into the livepatch ELF format: relocations against
 * ".klp.sym.*" symbols move out of the ordinary relocation sections into
 * ".klp.rela.<object>.<section>" sections (SHF_RELA_LIVEPATCH), and those symbols get
 * st_shndx = SHN_LIVEPATCH. The linker keeps neither flag, hence a post-link step.
 */
export function convertToLivepatchFormat(ko: ElfFile): ConversionSummary {
  const summary: ConversionSummary = { klpRelaSections: {}, klpSymbols: [] };
  const symtab = ko.symtab;
  if (!symtab) throw new UserError(`${ko.path}: no symbol table`);
  for (const section of [...ko.relocationSections]) {
    if (section.hasFlag(SHF_RELA_LIVEPATCH)) continue;
    const keep: Relocation[] = [];
    const moved = new Map<string, Relocation[]>();
    for (const relocation of section.relocations) {
      const klp = parseKlpSymbolName(relocation.symbol.name);
      if (!klp) {
        keep.push(relocation);
        continue;
      }
      const list = moved.get(klp.object);
      if (list) list.push(relocation);
      else moved.set(klp.object, [relocation]);
    }
    if (moved.size === 0) continue;
    section.relocations = keep;
    for (const [object, relocations] of moved) {
      const name = klpRelaSectionName(object, section.target.name);
      if (ko.sectionByName(name)) throw new UserError(`${ko.path}: ${name} exists twice`);
      ko.addSection(
        new ElfRelocationSection(
          {
            name,
            target: section.target,
            link: symtab,
            flags: SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
            addralign: 8,
          },
          relocations,
        ),
      );
      summary.klpRelaSections[name] = relocations.length;
    }
  }
  for (const symbol of ko.symbols) {
    if (!parseKlpSymbolName(symbol.name)) continue;
    if (!symbol.isUndefined && symbol.shndx !== SHN_LIVEPATCH) {
      throw new UserError(`${ko.path}: livepatch symbol ${symbol.name} is defined in the module`);
    }
    symbol.section = undefined;
    symbol.shndx = SHN_LIVEPATCH;
    summary.klpSymbols.push(symbol.name);
  }
  ko.invalidateIndexes();
  return summary;
}
