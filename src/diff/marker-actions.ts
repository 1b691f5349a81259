/**
 * Act on the marker sections (see marker-sections.ts): ignored sections and functions are
 * forced to "same", callbacks are recorded and their functions included, force markers are
 * refused (see forceMarkerRefusals). Marker data itself never becomes part of the patch.
 * (The loops over every section and symbol are indexed: they mostly run before the JIT has
 * warmed up, where for-of pays an iterator result per element.)
 */
import { STT_FUNC } from '../elf/constants.js';
import { UserError } from '../util/errors.js';
import type { Refusal } from '../util/refusal.js';
import { includeSection, includeSymbol } from './include.js';
import {
  markerFor,
  MARKER_SYMBOL_PREFIXES,
  DISCARDED_SECTION_PREFIXES,
  startsWithAny,
  type CallbackHook,
} from './marker-sections.js';
import { isRelaSection, type DiffObject, type DiffSection, type DiffSymbol } from './model.js';

export interface Callback {
  hook: CallbackHook;
  function: string;
}

function markerRelas(object: DiffObject, kind: string): Array<{ base: DiffSection; rela: DiffSection }> {
  const found: Array<{ base: DiffSection; rela: DiffSection }> = [];
  const sections = object.sections;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (isRelaSection(section) || markerFor(section.name)?.kind !== kind || !section.rela) continue;
    found.push({ base: section, rela: section.rela });
  }
  return found;
}

export function isMarkerSection(section: DiffSection): boolean {
  return markerFor(section.name) !== undefined;
}

function isMarkerSymbol(symbol: DiffSymbol): boolean {
  if (symbol.section && isMarkerSection(symbol.section) && symbol.type !== 3) return true; // not STT_SECTION
  return startsWithAny(symbol.name, MARKER_SYMBOL_PREFIXES);
}

/** Before comparison: mark discarded sections and those named by ignore-section markers. */
export function markIgnoredSections(patched: DiffObject, notes: string[]): void {
  const sections = patched.sections;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (startsWithAny(section.name, DISCARDED_SECTION_PREFIXES)) section.ignore = true;
  }
  for (const { rela } of markerRelas(patched, 'ignore-section')) {
    for (const relocation of rela.relocations) {
      const name = relocation.string;
      const strings = relocation.symbol.section;
      if (name === undefined || !strings) {
        throw new UserError(`${patched.path}: an ignore-section marker does not point at a section name string`);
      }
      // The literal changed the string section; it is harmless, so ship it.
      includeSection(strings);
      let ignored = patched.sectionsByName.get(name);
      if (!ignored) throw new UserError(`${patched.path}: ignore-section marker names ${name}, which does not exist`);
      notes.push(`ignoring section: ${name}`);
      if (isRelaSection(ignored) && ignored.base) ignored = ignored.base;
      ignored.ignore = true;
      if (ignored.twin) ignored.twin.ignore = true;
    }
  }
}

function markSame(symbol: DiffSymbol): void {
  symbol.status = 'same';
  for (const child of symbol.children) markSame(child);
}

/** After comparison: functions named by ignore-function markers count as unchanged. */
export function markIgnoredFunctionsSame(patched: DiffObject, notes: string[]): void {
  for (const { rela } of markerRelas(patched, 'ignore-function')) {
    for (const relocation of rela.relocations) {
      const symbol = relocation.symbol;
      if (!symbol.section || symbol.type !== STT_FUNC) {
        throw new UserError(
          `${patched.path}: ignore-function marker names ${symbol.name}, which is not a function of this object`,
        );
      }
      notes.push(`ignoring function: ${symbol.name}`);
      if (symbol.status !== 'changed')
        notes.push(`no change detected in ignored function ${symbol.name}; marker unnecessary?`);
      markSame(symbol);
      symbol.section.status = 'same';
      if (symbol.section.sectionSymbol) symbol.section.sectionSymbol.status = 'same';
      if (symbol.section.rela) symbol.section.rela.status = 'same';
    }
  }
}

/** After comparison: ignored sections, their symbols, and marker symbols count as unchanged. */
export function markIgnoredSectionsSame(patched: DiffObject): void {
  const ignored = new Set(patched.sections.filter((section) => section.ignore));
  for (const section of ignored) {
    section.status = 'same';
    if (!isRelaSection(section)) {
      if (section.sectionSymbol) section.sectionSymbol.status = 'same';
      if (section.rela) section.rela.status = 'same';
    }
  }
  const symbols = patched.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if ((symbol.section && ignored.has(symbol.section)) || isMarkerSymbol(symbol)) symbol.status = 'same';
  }
}

/** Include callback marker sections and their functions; returns the callbacks found. */
export function includeCallbacks(patched: DiffObject): Callback[] {
  const callbacks: Callback[] = [];
  const sections = patched.sections;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    const marker = markerFor(section.name);
    if (marker?.kind !== 'callback' || isRelaSection(section)) continue;
    includeSection(section, { withRelocations: false });
    if (!section.rela) continue;
    section.rela.include = true;
    for (const relocation of section.rela.relocations) {
      if (relocation.symbol.type !== STT_FUNC) continue;
      callbacks.push({ hook: marker.hook!, function: relocation.symbol.name });
      includeSymbol(relocation.symbol);
    }
  }
  const symbols = patched.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (isMarkerSymbol(symbol)) symbol.include = false;
  }
  return callbacks;
}

/**
 * Refusals for two different callbacks of one hook in one object. A klp_object has one
 * callback per hook, so one of them would silently never run; kpatch's macros make this a
 * compile error (a fixed record name per hook), the marker records here have unique names.
 */
export function duplicateCallbackRefusals(callbacks: readonly Callback[]): Refusal[] {
  const byHook = new Map<CallbackHook, string[]>();
  for (const { hook, function: name } of callbacks) {
    const names = byHook.get(hook) ?? [];
    if (!names.includes(name)) names.push(name);
    byHook.set(hook, names);
  }
  return [...byHook]
    .filter(([, names]) => names.length > 1)
    .map(([hook, names]) => ({
      category: 'callbacks',
      reason:
        `${names.length} ${hook} callbacks in one object (${[...names].sort().join(', ')}): the livepatch core runs one callback per hook ` +
        'for each patched object (vmlinux or a module); call the others from one of them',
    }));
}

/**
 * Refusals for force markers (kpatch's KPATCH_FORCE_UNSAFE), one per marked function.
 *
 * kpatch's macro does not relax any check of its differ: it asks kpatch's runtime to skip, for
 * that function, the check at load time that no task is running it. The kernel's livepatch
 * core, which our modules use, has no per-function way to skip its consistency model
 * (klp_func.immediate was removed in Linux 4.16), so a module built anyway would silently not
 * do what the marker asks. The marker is refused rather than ignored.
 */
export function forceMarkerRefusals(patched: DiffObject): Refusal[] {
  return markerRelas(patched, 'force').flatMap(({ base, rela }) =>
    rela.relocations.map((relocation) => {
      const name = relocation.symbol.name;
      const kpatch = markerFor(base.name)?.origin === 'kpatch';
      const marker = kpatch ? `KPATCH_FORCE_UNSAFE(${name})` : `the ${base.name} marker for ${name}`;
      return {
        category: 'kpatch-marker',
        reason:
          `${marker} is not supported: in kpatch it skips, for that function, the check at load time that no task is running it, ` +
          "and the kernel's livepatch core has no per-function way to skip that check (klp_func.immediate was removed in Linux 4.16); " +
          'remove the marker (a transition that never completes can be forced for the whole patch by writing 1 to ' +
          '/sys/kernel/livepatch/<module>/force)',
      };
    }),
  );
}
