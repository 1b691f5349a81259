/**
 * Structural facts about one object that the comparison needs: which function/object symbol
 * each -ffunction-sections/-fdata-sections section was made for ("bundled"), which functions are
 * compiler-split children of others, and which functions begin with an ftrace call.
 * (The loops over every symbol are indexed: they mostly run before the JIT has warmed up.)
 */
import { STT_FUNC, STT_OBJECT } from '../elf/constants.js';
import { UserError } from '../util/errors.js';
import type { DiffObject, DiffSection, DiffSymbol } from './model.js';
import { childFunctionParent } from './names.js';
import { FENTRY_SYMBOL, FENTRY_CALL_WINDOW, isCallPadding, isFentryCallRelocation } from '../arch/x86_64/ftrace.js';

/** Section-name prefixes under which a symbol of the given type gets its own section. */
const BUNDLE_PREFIXES: ReadonlyArray<{ prefix: string; type: number }> = [
  { prefix: '.text.unlikely.', type: STT_FUNC },
  { prefix: '.text.hot.', type: STT_FUNC },
  { prefix: '.text.', type: STT_FUNC },
  { prefix: '.data.rel.ro.', type: STT_OBJECT },
  { prefix: '.data.rel.', type: STT_OBJECT },
  { prefix: '.data.', type: STT_OBJECT },
  { prefix: '.rodata.', type: STT_OBJECT },
  { prefix: '.bss.', type: STT_OBJECT },
];

/** Whether `symbol` is the one symbol its section was created for. */
export function isBundledIn(symbol: DiffSymbol, section: DiffSection): boolean {
  // Called for every symbol: section symbols, files and labels are out before the prefix loop.
  if (symbol.type !== STT_FUNC && symbol.type !== STT_OBJECT) return false;
  for (let i = 0; i < BUNDLE_PREFIXES.length; i++) {
    const { prefix, type } = BUNDLE_PREFIXES[i]!;
    if (symbol.type !== type || !section.name.startsWith(prefix)) continue;
    const suffix = section.name.slice(prefix.length);
    if (suffix === symbol.name) return true;
    // gcc puts `foo.cold` (and `foo.cold.N`) into `.text.unlikely.foo`.
    if (prefix === '.text.unlikely.' && symbol.name.includes('.cold') && symbol.name.startsWith(suffix)) {
      return true;
    }
  }
  return false;
}

/** Kernels built with CALL_PADDING put 16 bytes of padding, named `__pfx_<fn>`, before each function. */
const PREFIX_SYMBOL = '__pfx_';

/** Link functions to their `__pfx_` padding symbols. */
export function linkPrefixSymbols(object: DiffObject): void {
  const symbols = object.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (symbol.type !== STT_FUNC || !symbol.section || !symbol.name.startsWith(PREFIX_SYMBOL)) continue;
    const owner = object.symbolsByName.get(symbol.name.slice(PREFIX_SYMBOL.length));
    if (owner?.section === symbol.section && owner.value === symbol.value + symbol.size) owner.prefix = symbol;
  }
}

/**
 * Link each bundled section to its symbol. A function starts its section, or follows its
 * padding: a `__pfx_` symbol, or, in an object objtool has not seen, the NOP bytes alone.
 */
export function bundleSymbols(object: DiffObject): void {
  const symbols = object.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    const section = symbol.section;
    if (!section || !isBundledIn(symbol, section)) continue;
    const expected = symbol.prefix ? symbol.prefix.value + symbol.prefix.size : 0;
    const unnamedPadding =
      !symbol.prefix &&
      symbol.type === STT_FUNC &&
      symbol.value > 0 &&
      isCallPadding(section.data.subarray(0, symbol.value));
    if (symbol.value !== expected && !unnamedPadding) {
      throw new UserError(
        `${object.path}: symbol ${symbol.name} sits at offset ${symbol.value} of its own section ${section.name}, expected ${expected}`,
      );
    }
    section.bundled = symbol;
  }
}

/**
 * Link `.cold` and `.part.N` functions to the function they were split from. A `.cold` child
 * without a parent of that name is bad input; a `.part` clone may legitimately outlive its
 * parent (the parent got inlined everywhere).
 */
export function linkChildFunctions(object: DiffObject): void {
  const symbols = object.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (symbol.type !== STT_FUNC) continue;
    const child = childFunctionParent(symbol.name);
    if (!child) continue;
    const parent = object.symbolsByName.get(child.parent);
    if (!parent) {
      if (child.kind === 'cold') {
        throw new UserError(`${object.path}: no parent function ${child.parent} for ${symbol.name}`);
      }
      continue;
    }
    symbol.parent = parent;
    parent.children.push(symbol);
  }
}

/**
 * Mark functions whose first relocation is the ftrace entry call: only those can be
 * redirected by the livepatch core.
 */
export function markFentryCalls(object: DiffObject): void {
  const symbols = object.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    const rela = symbol.type === STT_FUNC ? symbol.section?.rela : undefined;
    if (!rela) continue;
    const start = symbol.value;
    const first = firstRelocationFrom(rela.relocations, start);
    if (!first || first.offset >= start + FENTRY_CALL_WINDOW) continue;
    symbol.hasFentryCall = first.symbol.name === FENTRY_SYMBOL && isFentryCallRelocation(first.type);
  }
}

function firstRelocationFrom<T extends { offset: number }>(relocations: readonly T[], start: number): T | undefined {
  let best: T | undefined;
  for (const relocation of relocations) {
    if (relocation.offset < start) continue;
    if (!best || relocation.offset < best.offset) best = relocation;
    if (relocation.offset === start + 1) break;
  }
  return best;
}
