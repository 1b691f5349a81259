/**
 * Decide, for every section and symbol of the patched object, whether it is the same as its
 * twin, changed, or new. Code is compared through its relocations: two references are equal
 * when they name the same symbol (after correlation) with the same addend, or the same string.
 */
import { SHN_ABS, SHN_UNDEF, SHT_NOBITS, STT_OBJECT } from '../elf/constants.js';
import {
  isRelaSection,
  isTextSection,
  type DiffObject,
  type DiffRelocation,
  type DiffSection,
  type DiffSymbol,
} from './model.js';
import { namesMatchIgnoringNumbers } from './names.js';
import { DiffRefusal } from './refusal.js';
import { lineNumberChangeOnly, type LineNumbers } from './line-drift.js';
import { SECTIONS_REBUILT_BY_DIFFER } from '../arch/x86_64/special-sections.js';

/** Code only the kernel's early boot runs; references into it may move freely. */
const INERT_REFERENCE_TARGET = '.altinstr_aux';

/** Whether two relocations refer to the same thing in the same way, wherever they sit. */
export function sameReference(patched: DiffRelocation, original: DiffRelocation): boolean {
  if (patched.type !== original.type) return false;
  if (patched.symbol.name === INERT_REFERENCE_TARGET && original.symbol.name === INERT_REFERENCE_TARGET) return true;
  if (patched.string !== undefined) return original.string !== undefined && patched.string === original.string;
  if (patched.addend !== original.addend) return false;
  return namesMatchIgnoringNumbers(patched.symbol.name, original.symbol.name);
}

function relocationsEqual(patched: DiffRelocation, original: DiffRelocation): boolean {
  return patched.offset === original.offset && sameReference(patched, original);
}

function compareRelocationSections(patched: DiffSection, original: DiffSection): boolean {
  const a = patched.relocations;
  const b = original.relocations;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!relocationsEqual(a[i]!, b[i]!)) return false;
  }
  return true;
}

function compareTwinSections(section: DiffSection, twin: DiffSection): void {
  if (
    section.type !== twin.type ||
    section.flags !== twin.flags ||
    section.entsize !== twin.entsize ||
    (section.addralign !== twin.addralign && !isTextSection(section))
  ) {
    throw DiffRefusal.of(
      'section-header-changed',
      `section ${section.name}: header details (type, flags, entry size or alignment) differ`,
    );
  }
  if (SECTIONS_REBUILT_BY_DIFFER.has(section.name)) {
    section.status = 'same';
    return;
  }
  let same: boolean;
  if (section.size !== twin.size) same = false;
  else if (isRelaSection(section)) same = compareRelocationSections(section, twin);
  else if (section.type === SHT_NOBITS) same = true;
  else same = Buffer.compare(section.data, twin.data) === 0;
  section.status = same ? 'same' : 'changed';
}

/**
 * A changed child without its own ftrace entry can only be reached through its parent, which
 * must then be replaced too. The child counts as changed when its code or its relocations did.
 */
function changedChildNeedsParent(symbol: DiffSymbol): boolean {
  for (const child of symbol.children) {
    if (child.hasFentryCall) continue;
    if (child.status === 'changed' || changedChildNeedsParent(child)) return true;
  }
  return false;
}

/**
 * Set the status of every section of PATCHED and of the symbols they hold. With LINE_NUMBERS
 * `guessed`, a text section that differs only in line numbers passed to reporting calls is the
 * same (src/diff/line-drift.ts); the names of such sections are returned (none when `kept`).
 */
export function compareSections(patched: DiffObject, lineNumbers: LineNumbers): string[] {
  // Indexed loops over every section: most of this runs before the JIT has warmed up.
  const sections = patched.sections;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (section.twin) compareTwinSections(section, section.twin);
    else section.status = 'new';
  }

  const lineOnly: string[] = [];
  if (lineNumbers === 'guessed') {
    for (let i = 0; i < sections.length; i++) {
      const section = sections[i]!;
      if (lineNumberChangeOnly(section)) {
        section.status = 'same';
        lineOnly.push(section.name);
      }
    }
  }

  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (isRelaSection(section)) {
      const owner = section.base?.bundled;
      if (owner && owner.status !== 'changed') owner.status = section.status;
      continue;
    }
    const owner = section.bundled;
    if (owner && owner.status !== 'changed') owner.status = section.status;
  }
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    const owner = section.bundled;
    if (owner?.status === 'same' && changedChildNeedsParent(owner)) owner.status = 'changed';
  }
  return lineOnly;
}

function sectionKind(section: DiffSection): 'normal' | 'hot' | 'unlikely' {
  if (section.name.startsWith('.text.unlikely.')) return 'unlikely';
  if (section.name.startsWith('.text.hot.')) return 'hot';
  return 'normal';
}

const SYMBOL_TYPES: Record<number, string> = { 0: 'no type', 1: 'object', 2: 'function', 3: 'section', 4: 'file' };
const SYMBOL_BINDINGS: Record<number, string> = { 0: 'local', 1: 'global', 2: 'weak' };

function compareTwinSymbols(symbol: DiffSymbol, twin: DiffSymbol): void {
  if (symbol.type !== twin.type || symbol.bind !== twin.bind || !symbol.section !== !twin.section) {
    const what = [
      symbol.type !== twin.type
        ? `its type (${SYMBOL_TYPES[twin.type] ?? twin.type} -> ${SYMBOL_TYPES[symbol.type] ?? symbol.type})`
        : '',
      symbol.bind !== twin.bind
        ? `its binding (${SYMBOL_BINDINGS[twin.bind] ?? twin.bind} -> ${SYMBOL_BINDINGS[symbol.bind] ?? symbol.bind}: a static made global, or the reverse)`
        : '',
      !symbol.section !== !twin.section ? (symbol.section ? 'now defined here' : 'no longer defined here') : '',
    ]
      .filter(Boolean)
      .join(', ');
    throw DiffRefusal.of(
      'symbol-changed',
      `symbol ${symbol.name} changed ${what}: the livepatch cannot change how the running kernel links it`,
    );
  }
  if (symbol.section && twin.section && symbol.section.twin !== twin.section) {
    const movedOutOfIgnored = twin.section.twin?.ignore === true;
    if (movedOutOfIgnored || sectionKind(symbol.section) !== sectionKind(twin.section)) {
      symbol.status = 'changed';
    } else {
      throw DiffRefusal.of(
        'existing-data',
        `symbol ${symbol.name} moved from section ${twin.section.name} to ${symbol.section.name}`,
      );
    }
  }
  if (symbol.type === STT_OBJECT && symbol.size !== twin.size) {
    throw DiffRefusal.of(
      'data-size-changed',
      `object ${symbol.name} changed size (${twin.size} -> ${symbol.size} bytes)`,
    );
  }
  if (symbol.shndx === SHN_UNDEF || symbol.shndx === SHN_ABS) symbol.status = 'same';
}

export function compareSymbols(patched: DiffObject): void {
  const symbols = patched.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (symbol.twin) compareTwinSymbols(symbol, symbol.twin);
    else symbol.status = 'new';
  }
}
