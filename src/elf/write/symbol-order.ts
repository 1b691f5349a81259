import type { ElfSymbol } from '../model/symbol.js';
import { SHN_UNDEF, STB_LOCAL, STT_NOTYPE } from '../constants.js';

/** The symbol table as it will be written. */
export interface SymbolOrder {
  /** Entries 1..n (the null entry 0 is implicit): locals first, then the rest. */
  ordered: ElfSymbol[];
  /** Output index of each symbol of the model (the model's null symbol maps to 0). */
  indexOf: Map<ElfSymbol, number>;
  /** sh_info of the symbol table: one past the last local (counting the null entry). */
  firstNonLocal: number;
}

/** A symbol the writer treats as the null entry: all fields zero. */
export function isNullSymbol(symbol: ElfSymbol): boolean {
  return (
    symbol.name === '' &&
    symbol.value === 0n &&
    symbol.size === 0 &&
    symbol.type === STT_NOTYPE &&
    symbol.bind === STB_LOCAL &&
    symbol.other === 0 &&
    symbol.section === undefined &&
    symbol.shndx === SHN_UNDEF
  );
}

/**
 * Orders the model's symbols as the ELF rules require: the null entry, every STB_LOCAL symbol
 * in model order, then every other symbol in model order. The model's first symbol is taken
 * as the null entry when it is all zero.
 */
export function orderSymbols(symbols: readonly ElfSymbol[]): SymbolOrder {
  const indexOf = new Map<ElfSymbol, number>();
  const first = symbols[0];
  const rest = first !== undefined && isNullSymbol(first) ? symbols.slice(1) : symbols.slice();
  if (first !== undefined && rest.length !== symbols.length) indexOf.set(first, 0);
  const locals = rest.filter((s) => s.bind === STB_LOCAL);
  const others = rest.filter((s) => s.bind !== STB_LOCAL);
  const ordered = [...locals, ...others];
  ordered.forEach((symbol, i) => {
    if (!indexOf.has(symbol)) indexOf.set(symbol, i + 1);
  });
  return { ordered, indexOf, firstNonLocal: locals.length + 1 };
}
