import { SHT_GROUP, SHT_SYMTAB } from '../constants.js';
import { SymbolLookup } from './symbol-lookup.js';
import type { ElfGroupSection } from './group-section.js';
import type { Relocation } from './relocation.js';
import { ElfRelocationSection } from './relocation-section.js';
import type { ElfSection } from './section.js';
import type { ElfSymbol } from './symbol.js';
import type { ElfSymbolTable } from './symbol-table.js';

/** The ELF header fields the model keeps (the rest is derived when writing). */
export interface ElfHeader {
  /** e_type: ET_REL, ET_EXEC, ET_DYN. */
  type: number;
  /** e_machine: EM_X86_64. */
  machine: number;
  osabi: number;
  abiversion: number;
  /** e_flags. */
  flags: number;
  /** e_entry (an address). */
  entry: bigint;
}

/**
 * An ELF file, read from disk or built in memory: the unit the differ, the symbol resolver
 * and the livepatch post-link step work on.
 *
 * `sections` is in section-table order with the null section at [0], so `sections[i].index
 * === i` for a file just read (and matches `readelf -S`). Edit it freely; the writer lays the
 * object out from the array. After editing sections or symbols in place, call
 * `invalidateIndexes()` so that name and address lookups are rebuilt.
 */
export class ElfFile {
  /** Where it came from (or where it will be written); used in every error message. */
  readonly path: string;
  header: ElfHeader;
  sections: ElfSection[];
  /** The section-name string table (e_shstrndx); rebuilt by the writer. */
  sectionNames: ElfSection | undefined;
  private lookup: SymbolLookup | undefined;

  constructor(path: string, header: ElfHeader, sections: ElfSection[], sectionNames: ElfSection | undefined) {
    this.path = path;
    this.header = header;
    this.sections = sections;
    this.sectionNames = sectionNames;
  }

  /** The static symbol table (SHT_SYMTAB), if any. */
  get symtab(): ElfSymbolTable | undefined {
    return this.sections.find((s) => s.type === SHT_SYMTAB) as ElfSymbolTable | undefined;
  }

  /** Symbols of the static symbol table, `symbols[0]` being the null symbol; [] without one. */
  get symbols(): ElfSymbol[] {
    return this.symtab?.symbols ?? [];
  }

  /** The SHT_RELA sections that apply to one section (a `.rela.dyn`-style table, sh_info 0, is a plain section). */
  get relocationSections(): ElfRelocationSection[] {
    return this.sections.filter((s): s is ElfRelocationSection => s instanceof ElfRelocationSection);
  }

  get groups(): ElfGroupSection[] {
    return this.sections.filter((s): s is ElfGroupSection => s.type === SHT_GROUP);
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The relocation section(s) whose target is `section` (normally zero or one). */
  relocationSectionsFor(section: ElfSection): ElfRelocationSection[] {
    return this.relocationSections.filter((r) => r.target === section);
  }

  /** All relocations that apply to `section`, in file order. */
  relocationsFor(section: ElfSection): Relocation[] {
    return this.relocationSectionsFor(section).flatMap((r) => r.relocations);
  }

  /** The first symbol called `name` (global or local), or undefined. */
  symbolByName(name: string): ElfSymbol | undefined {
    return this.symbolLookup().byName(name)[0];
  }

  /** Every symbol called `name`, in symbol-table order (static functions may repeat). */
  symbolsByName(name: string): readonly ElfSymbol[] {
    return this.symbolLookup().byName(name);
  }

  /**
   * The function/object/notype symbol of `section` that covers `offset` (an offset inside the
   * section): one whose [offset, offset + size) contains it, else a zero-sized one exactly at
   * it. Section and file symbols are never returned.
   */
  findSymbolAt(section: ElfSection, offset: number): ElfSymbol | undefined {
    return this.symbolLookup().at(section, offset);
  }

  /** The STT_SECTION symbol of `section`, if the symbol table has one. */
  sectionSymbol(section: ElfSection): ElfSymbol | undefined {
    return this.symbolLookup().sectionSymbol(section);
  }

  /** Appends a section (the writer numbers sections by their position in `sections`). */
  addSection<T extends ElfSection>(section: T): T {
    this.sections.push(section);
    return section;
  }

  /** Appends a symbol to the static symbol table (the writer puts locals first). */
  addSymbol(symbol: ElfSymbol): ElfSymbol {
    const symtab = this.symtab;
    if (symtab === undefined) throw new TypeError(`${this.path}: no symbol table to add ${symbol.name} to`);
    symtab.symbols.push(symbol);
    this.invalidateIndexes();
    return symbol;
  }

  /** Forget the name/address indexes; call after editing symbols or sections in place. */
  invalidateIndexes(): void {
    this.lookup = undefined;
  }

  private symbolLookup(): SymbolLookup {
    this.lookup ??= new SymbolLookup(this.symbols);
    return this.lookup;
  }
}
