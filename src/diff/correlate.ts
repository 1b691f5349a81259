/**
 * Pair every section and symbol of the original object with its twin in the patched object.
 * Twins are found by name (ignoring compiler numbering, see names.ts) in table order; a
 * patched element that gets a twin takes the original's name, so the output refers to the
 * running kernel's spelling.
 */
import { STT_NOTYPE } from '../elf/constants.js';
import { SHT_GROUP } from '../elf/constants.js';
import { isRelaSection, type DiffObject, type DiffSection, type DiffSymbol } from './model.js';
import { namesMatchIgnoringNumbers, numberlessKey } from './names.js';
import { isSpecialStatic } from './statics.js';

type Twinnable = { name: string; twin?: Twinnable | undefined; status: string };

function pair<T extends Twinnable>(original: T, patched: T): void {
  original.twin = patched;
  patched.twin = original;
  original.status = 'same';
  patched.status = 'same';
  if (original.name !== patched.name) patched.name = original.name;
}

export function correlateSymbolPair(original: DiffSymbol, patched: DiffSymbol): void {
  pair(original, patched);
}

export function uncorrelate<T extends { twin?: T | undefined }>(element: T): void {
  if (element.twin) element.twin.twin = undefined;
  element.twin = undefined;
}

/** Pair two sections together with their relocation/base section and their symbols. */
export function correlateSectionPair(original: DiffSection, patched: DiffSection): void {
  pair(original, patched);
  let originalBase = original;
  let patchedBase = patched;
  if (isRelaSection(original)) {
    if (original.base && patched.base) {
      pair(original.base, patched.base);
      originalBase = original.base;
      patchedBase = patched.base;
    }
  } else if (original.rela && patched.rela) {
    pair(original.rela, patched.rela);
  }
  if (originalBase.sectionSymbol && patchedBase.sectionSymbol) {
    pair(originalBase.sectionSymbol, patchedBase.sectionSymbol);
  }
  if (originalBase.bundled && patchedBase.bundled) pair(originalBase.bundled, patchedBase.bundled);
}

const NONE: readonly never[] = [];

/**
 * Group elements by a numberless key, keeping table order inside each bucket. (The loops over
 * all sections and symbols here are indexed: most of them run before the JIT has warmed up.)
 */
function bucket<T extends { name: string }>(elements: readonly T[]): Map<string, T[]> {
  const buckets = new Map<string, T[]>();
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i]!;
    const key = numberlessKey(element.name);
    let list = buckets.get(key);
    if (!list) buckets.set(key, (list = []));
    list.push(element);
  }
  return buckets;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function correlateSections(original: DiffObject, patched: DiffObject): void {
  const buckets = bucket(patched.sections);
  const sections = original.sections;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (section.twin) continue;
    const owner = isRelaSection(section) ? section.base?.sectionSymbol : section.sectionSymbol;
    if (isSpecialStatic(owner)) continue;
    for (const candidate of buckets.get(numberlessKey(section.name)) ?? NONE) {
      if (candidate.twin || !namesMatchIgnoringNumbers(section.name, candidate.name)) continue;
      // COMDAT groups must be identical to be the same group.
      if (section.type === SHT_GROUP && !sameBytes(section.data, candidate.data)) continue;
      correlateSectionPair(section, candidate);
      break;
    }
  }
}

function correlateSymbols(original: DiffObject, patched: DiffObject): void {
  const buckets = bucket(patched.symbols);
  const symbols = original.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    if (symbol.twin) continue;
    if (isSpecialStatic(symbol)) continue;
    // .LCn string labels are renumbered freely; strings are compared by content instead.
    if (symbol.type === STT_NOTYPE && symbol.name.startsWith('.LC')) continue;
    for (const candidate of buckets.get(numberlessKey(symbol.name)) ?? NONE) {
      if (candidate.twin || candidate.type !== symbol.type) continue;
      if (!namesMatchIgnoringNumbers(symbol.name, candidate.name)) continue;
      if (symbol.section?.type === SHT_GROUP && symbol.section.twin !== candidate.section) continue;
      pair(symbol, candidate);
      break;
    }
  }
}

export function correlateObjects(original: DiffObject, patched: DiffObject): void {
  correlateSections(original, patched);
  correlateSymbols(original, patched);
}
