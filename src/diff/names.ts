/**
 * Name rules for correlating symbols and sections between the original and the patched object.
 *
 * Compilers decorate local names with numbers that change from build to build: static locals
 * (`count.1234`), optimised clones (`foo.isra.0`, `foo.constprop.3`, `foo.part.7`), split-off
 * cold code (`foo.cold`, `foo.cold.12`) and `__UNIQUE_ID_*NNN` variables. Matching therefore
 * ignores every "dot followed by digits" run, and a name equals the same name with a
 * trailing ".NNN".
 */

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39;
}

const DOT = 0x2e;

/** True when `tail` is exactly "." followed by one or more digits... or only digits after a dot. */
function isDigitTail(name: string, from: number): boolean {
  if (name.charCodeAt(from) !== DOT) return false;
  let at = from + 1;
  while (isDigit(name.charCodeAt(at))) at++;
  return at === name.length;
}

/**
 * Whether two names are the same once compiler numbering is ignored.
 * String-literal sections (`.rodata.<fn>.str1.1`) are compared exactly: their digits are
 * alignment, not numbering.
 */
export function namesMatchIgnoringNumbers(first: string, second: string): boolean {
  // Twins carry the same name after correlation: the common case costs one comparison.
  if (first === second) return true;
  if (first.includes('.str1.')) return false;
  const a = withoutUniqueIdCounter(first);
  const b = withoutUniqueIdCounter(second);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    if (ca !== b.charCodeAt(j)) return false;
    if (ca === DOT && isDigit(a.charCodeAt(i + 1))) {
      if (!isDigit(b.charCodeAt(j + 1))) return false;
      i++;
      j++;
      while (isDigit(a.charCodeAt(i))) i++;
      while (isDigit(b.charCodeAt(j))) j++;
      continue;
    }
    i++;
    j++;
  }
  if (i === a.length && j === b.length) return true;
  if (i === a.length) return isDigitTail(b, j);
  if (j === b.length) return isDigitTail(a, i);
  return false;
}

/**
 * A key under which every pair of names that `namesMatchIgnoringNumbers` accepts collides
 * (it may also collide for names that do not match: use it to bucket, then compare).
 */
export function numberlessKey(name: string): string {
  if (name.includes('.str1.')) return name;
  return withoutUniqueIdCounter(name).replace(/\.\d+/g, '');
}

const UNIQUE_ID_PREFIX = '__UNIQUE_ID_';

/**
 * `__UNIQUE_ID(prefix)` pastes `__COUNTER__` right after the prefix (`__UNIQUE_ID_ddebug1130`),
 * so an unrelated edit earlier in the file renumbers it. Drop that counter (the digits that end
 * the name, or its part before the first dot).
 */
export function withoutUniqueIdCounter(name: string): string {
  if (!name.startsWith(UNIQUE_ID_PREFIX)) return name;
  const dot = name.indexOf('.', UNIQUE_ID_PREFIX.length);
  const head = dot < 0 ? name : name.slice(0, dot);
  const tail = dot < 0 ? '' : name.slice(dot);
  return head.replace(/\d+$/, '') + tail;
}

/** Kinds of compiler-generated child functions, which follow their parent. */
export type ChildKind = 'cold' | 'part';

/**
 * If `name` is a compiler-split child function (`parent.cold`, `parent.cold.N`,
 * `parent.part.N`), return the parent's name and the kind of child.
 */
export function childFunctionParent(name: string): { parent: string; kind: ChildKind } | undefined {
  const cold = name.indexOf('.cold');
  if (cold > 0) return { parent: name.slice(0, cold), kind: 'cold' };
  const part = name.indexOf('.part.');
  if (part > 0) return { parent: name.slice(0, part), kind: 'part' };
  return undefined;
}

/**
 * Static locals the compiler or kernel macros create per use site. They are never correlated
 * with the original's (each patched use gets its own fresh copy, as a new build would), and are
 * included whenever an included function references them.
 *
 * A name matches in gcc style (`<name>.` at the start: `__key.123`) or clang style
 * (`.<name>` inside: `fn.__key`). `__already_done.` carries its dot so that only the clang
 * spelling `fn.__already_done.N` matches; gcc's `__already_done.N` lives in `.data.once`/`.data..once`
 * (special as a whole) on current kernels.
 */
export const SPECIAL_STATIC_NAMES: readonly string[] = [
  '__key',
  '__warned',
  '__already_done.',
  '__func__',
  '__FUNCTION__',
  '_rs',
  'CSWTCH',
  '_entry',
];

/** The gcc-style prefixes and clang-style infixes of SPECIAL_STATIC_NAMES, spelled once. */
const SPECIAL_STATIC_PREFIXES = SPECIAL_STATIC_NAMES.map((special) => `${special}.`);
const SPECIAL_STATIC_INFIXES = SPECIAL_STATIC_NAMES.map((special) => `.${special}`);

/** Whether `name` is spelled like a special static (see SPECIAL_STATIC_NAMES). */
export function hasSpecialStaticName(name: string): boolean {
  for (let i = 0; i < SPECIAL_STATIC_NAMES.length; i++) {
    if (name.startsWith(SPECIAL_STATIC_PREFIXES[i]!)) return true;
    if (name.includes(SPECIAL_STATIC_INFIXES[i]!)) return true;
  }
  return false;
}

/**
 * Anonymous per-call-site data the compilers emit under local `.L` labels, in sections named
 * after the label (gcc UBSAN `.data..Lubsan_data118`, clang `.data..L__unnamed_1`): like
 * special statics, never paired with the original's.
 */
export const LOCAL_LABEL_SECTION_MARK = '..L';

/** Sections whose object symbols are dynamic-debug descriptors (special statics). */
export const DYNAMIC_DEBUG_SECTIONS: readonly string[] = ['__verbose', '__dyndbg'];

/**
 * Sections holding `WARN_ONCE`-style "done" flags: everything in them is a special static.
 * Linux 6.2 renamed `.data.once` to `.data..once` (Debian 12's 6.1 has the first, 6.12 the second).
 */
export const ONCE_FLAG_SECTIONS: ReadonlySet<string> = new Set(['.data.once', '.data..once']);
