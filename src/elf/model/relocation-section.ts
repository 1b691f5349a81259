import { ELF64_RELA_SIZE, SHF_INFO_LINK, SHT_RELA } from '../constants.js';
import { Lazy } from './lazy.js';
import type { Relocation, RelocationMaker } from './relocation.js';
import { ElfSection, withDefaults, type SectionInit } from './section.js';

/**
 * A relocation section (SHT_RELA). `target` is the section the relocations apply to
 * (sh_info), `link` the symbol table (sh_link). The writer encodes the entries from
 * `relocations`, remapping symbols to their output indexes.
 */
export class ElfRelocationSection extends ElfSection {
  // `declare`d fields, set in the constructor only (see ElfSection).
  declare target: ElfSection;
  declare private readonly entries: Lazy<Relocation[]>;
  /** Maps the entries as read from the file (sections read from a file only). */
  declare private readonly mapFromFile: (<T>(make: RelocationMaker<T>) => T[]) | undefined;

  /** `mapFromFile` is for the reader: see mapEntries. */
  constructor(
    init: Omit<SectionInit, 'type'> & { type?: number; target: ElfSection },
    relocations: Relocation[] | (() => Relocation[]),
    mapFromFile?: <T>(make: RelocationMaker<T>) => T[],
  ) {
    super(withDefaults(init, SHT_RELA, ELF64_RELA_SIZE, 8, SHF_INFO_LINK));
    this.target = init.target;
    this.entries = typeof relocations === 'function' ? new Lazy(relocations) : Lazy.of(relocations);
    this.mapFromFile = mapFromFile;
  }

  /**
   * Every relocation as an object of the caller's making. For a section read from a file
   * whose `relocations` were never asked for (or set), the entries are decoded straight from
   * the file, with the same checks but without a Relocation object or a bigint per entry:
   * for readers that turn every relocation into a type of their own (the differ). The
   * `relocations` stay undecoded.
   */
  mapEntries<T>(make: RelocationMaker<T>): T[] {
    if (this.mapFromFile !== undefined && !this.entries.isResolved) return this.mapFromFile(make);
    return this.relocations.map((relocation) =>
      make(relocation.offset, relocation.type, relocation.symbol, Number(relocation.addend)),
    );
  }

  get relocations(): Relocation[] {
    return this.entries.get();
  }

  set relocations(value: Relocation[]) {
    this.entries.set(value);
  }

  get isDecoded(): boolean {
    return this.entries.isResolved;
  }
}
