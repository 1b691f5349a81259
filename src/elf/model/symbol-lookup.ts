import { STT_FILE, STT_SECTION } from '../constants.js';
import type { ElfSection } from './section.js';
import type { ElfSymbol } from './symbol.js';

interface Placed {
  start: number;
  end: number;
  symbol: ElfSymbol;
}

interface SectionIndex {
  /** Symbols sorted by start offset (stable: symbol-table order among equals). */
  placed: Placed[];
  /** Largest size in the section, bounding the backward scan in `at`. */
  maxSize: number;
}

/** Name and address indexes over a symbol list, built once and queried many times. */
export class SymbolLookup {
  private readonly names = new Map<string, ElfSymbol[]>();
  private readonly sectionSymbols = new Map<ElfSection, ElfSymbol>();
  private readonly bySection = new Map<ElfSection, ElfSymbol[]>();
  private readonly sorted = new Map<ElfSection, SectionIndex>();

  constructor(symbols: readonly ElfSymbol[]) {
    for (const symbol of symbols) {
      if (symbol.name !== '') {
        const list = this.names.get(symbol.name);
        if (list === undefined) this.names.set(symbol.name, [symbol]);
        else list.push(symbol);
      }
      const section = symbol.section;
      if (section === undefined) continue;
      if (symbol.type === STT_SECTION) {
        if (!this.sectionSymbols.has(section)) this.sectionSymbols.set(section, symbol);
      } else if (symbol.type !== STT_FILE) {
        const list = this.bySection.get(section);
        if (list === undefined) this.bySection.set(section, [symbol]);
        else list.push(symbol);
      }
    }
  }

  byName(name: string): readonly ElfSymbol[] {
    return this.names.get(name) ?? [];
  }

  sectionSymbol(section: ElfSection): ElfSymbol | undefined {
    return this.sectionSymbols.get(section);
  }

  at(section: ElfSection, offset: number): ElfSymbol | undefined {
    const index = this.indexFor(section);
    if (index === undefined) return undefined;
    const { placed, maxSize } = index;
    // Last entry starting at or before offset.
    let lo = 0;
    let hi = placed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((placed[mid] as Placed).start <= offset) lo = mid + 1;
      else hi = mid;
    }
    // Prefer the innermost covering symbol (latest start); among symbols starting at the same
    // offset, the first in symbol-table order (the sort is stable, the scan goes backwards).
    let exact: ElfSymbol | undefined;
    let covering: ElfSymbol | undefined;
    let coveringStart = -1;
    for (let i = lo - 1; i >= 0; i--) {
      const entry = placed[i] as Placed;
      if (covering !== undefined && entry.start < coveringStart) break;
      if (offset - entry.start > maxSize) break;
      if (offset < entry.end) {
        covering = entry.symbol;
        coveringStart = entry.start;
      } else if (entry.start === offset && entry.end === entry.start) {
        exact = entry.symbol;
      }
    }
    return covering ?? exact;
  }

  private indexFor(section: ElfSection): SectionIndex | undefined {
    let index = this.sorted.get(section);
    if (index !== undefined) return index;
    const symbols = this.bySection.get(section);
    if (symbols === undefined) return undefined;
    const placed = symbols.map((symbol) => {
      const start = symbol.offset;
      return { start, end: start + symbol.size, symbol };
    });
    placed.sort((a, b) => a.start - b.start);
    const maxSize = placed.reduce((max, p) => Math.max(max, p.end - p.start), 0);
    index = { placed, maxSize };
    this.sorted.set(section, index);
    return index;
  }
}
