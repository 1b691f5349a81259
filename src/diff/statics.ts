/**
 * Classification of static local variables: "special" ones (per-call-site bookkeeping created
 * by kernel macros, never correlated) and "normal" ones (`count.1234`, correlated by use).
 */
import { STB_LOCAL, STT_OBJECT, STT_SECTION } from '../elf/constants.js';
import type { DiffSymbol } from './model.js';
import { DYNAMIC_DEBUG_SECTIONS, hasSpecialStaticName, ONCE_FLAG_SECTIONS, LOCAL_LABEL_SECTION_MARK } from './names.js';

export function isDynamicDebugSymbol(symbol: DiffSymbol): boolean {
  if (symbol.type === STT_OBJECT && symbol.section && DYNAMIC_DEBUG_SECTIONS.includes(symbol.section.name)) {
    return true;
  }
  return symbol.type === STT_SECTION && DYNAMIC_DEBUG_SECTIONS.includes(symbol.name);
}

export function isSpecialStatic(symbol: DiffSymbol | undefined): boolean {
  if (!symbol) return false;
  if (isDynamicDebugSymbol(symbol)) return true;
  let subject = symbol;
  if (symbol.type === STT_SECTION) {
    const bundled = symbol.section?.bundled;
    if (!bundled) return symbol.name.includes(LOCAL_LABEL_SECTION_MARK);
    subject = bundled;
  }
  if (subject.type !== STT_OBJECT || subject.bind !== STB_LOCAL) return false;
  if (subject.section && ONCE_FLAG_SECTIONS.has(subject.section.name)) return true;
  return hasSpecialStaticName(subject.name);
}

/** A static local whose name carries a compiler number (`name.NNN`), not special. */
export function isNormalStaticLocal(symbol: DiffSymbol): boolean {
  if (symbol.type !== STT_OBJECT || symbol.bind !== STB_LOCAL) return false;
  if (symbol.name.startsWith('.L')) return false;
  if (!symbol.name.includes('.')) return false;
  return !isSpecialStatic(symbol);
}
