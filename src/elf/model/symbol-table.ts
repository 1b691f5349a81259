import { SHT_SYMTAB, ELF64_SYM_SIZE } from '../constants.js';
import { Lazy } from './lazy.js';
import { ElfSection, withDefaults, type SectionInit } from './section.js';
import type { ElfSymbol } from './symbol.js';

/**
 * A symbol table section (SHT_SYMTAB or SHT_DYNSYM). `symbols[0]` is the null symbol.
 * `link` is its string table. The writer encodes the table from `symbols` (locals first)
 * and rebuilds the linked string table; `data` is the table as read.
 */
export class ElfSymbolTable extends ElfSection {
  private readonly entries: Lazy<ElfSymbol[]>;

  constructor(init: Omit<SectionInit, 'type'> & { type?: number }, symbols: ElfSymbol[] | (() => ElfSymbol[])) {
    super(withDefaults(init, SHT_SYMTAB, ELF64_SYM_SIZE, 8));
    this.entries = typeof symbols === 'function' ? new Lazy(symbols) : Lazy.of(symbols);
  }

  get symbols(): ElfSymbol[] {
    return this.entries.get();
  }

  set symbols(value: ElfSymbol[]) {
    this.entries.set(value);
  }

  /** True once the symbols have been decoded (for tests of laziness). */
  get isDecoded(): boolean {
    return this.entries.isResolved;
  }
}
