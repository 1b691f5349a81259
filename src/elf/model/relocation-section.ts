import { ELF64_RELA_SIZE, SHF_INFO_LINK, SHT_RELA } from '../constants.js';
import { Lazy } from './lazy.js';
import type { Relocation } from './relocation.js';
import { ElfSection, withDefaults, type SectionInit } from './section.js';

/**
 * A relocation section (SHT_RELA). `target` is the section the relocations apply to
 * (sh_info), `link` the symbol table (sh_link). The writer encodes the entries from
 * `relocations`, remapping symbols to their output indexes.
 */
export class ElfRelocationSection extends ElfSection {
  target: ElfSection;
  private readonly entries: Lazy<Relocation[]>;

  constructor(
    init: Omit<SectionInit, 'type'> & { type?: number; target: ElfSection },
    relocations: Relocation[] | (() => Relocation[]),
  ) {
    super(withDefaults(init, SHT_RELA, ELF64_RELA_SIZE, 8, SHF_INFO_LINK));
    this.target = init.target;
    this.entries = typeof relocations === 'function' ? new Lazy(relocations) : Lazy.of(relocations);
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
