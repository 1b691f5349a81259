/**
 * Select what goes into the patch object: changed and new functions, and — transitively through
 * their relocations — every section they need that the running kernel does not already have
 * (new data, new static locals, string literals, jump tables of .rodata, ...). Symbols that
 * exist unchanged in the kernel are kept as references only.
 */
import { STB_GLOBAL, STT_FILE, STT_FUNC, STT_SECTION } from '../elf/constants.js';
import type { DiffObject, DiffSection, DiffSymbol } from './model.js';
import { childFunctionParent } from './names.js';

export function includeSection(section: DiffSection, options: { withRelocations?: boolean } = {}): void {
  if (section.include) return;
  section.include = true;
  if (section.sectionSymbol) section.sectionSymbol.include = true;
  if (options.withRelocations === false || !section.rela) return;
  section.rela.include = true;
  for (const relocation of section.rela.relocations) includeSymbol(relocation.symbol);
}

/**
 * Keep a symbol. Its section comes along when the symbol is new or changed (the kernel lacks
 * that version), or when it is a section symbol (which cannot be resolved against the kernel).
 */
export function includeSymbol(symbol: DiffSymbol): void {
  if (symbol.include) return;
  symbol.include = true;
  if (symbol.prefix) symbol.prefix.include = true;
  if (symbol.section && (symbol.type === STT_SECTION || symbol.status !== 'same')) includeSection(symbol.section);
  if (symbol.type === STT_FUNC && symbol.status !== 'same') includeColdChildren(symbol);
}

/**
 * A function taken in its new version takes its `.cold` code along, changed or not: cold code is
 * part of its parent's body and jumps back into it, so the kernel's copy would return into the
 * old parent (the rest of the old code, with the old stack frame).
 */
function includeColdChildren(parent: DiffSymbol): void {
  for (const child of parent.children) {
    if (childFunctionParent(child.name)?.kind !== 'cold' || !child.section || child.section.include) continue;
    child.include = true;
    includeSection(child.section);
  }
}

/** Sections every patch object carries: string tables and the string-literal/jump-table pools. */
export function includeStandardElements(patched: DiffObject): void {
  for (const section of patched.sections) {
    const name = section.name;
    const standard =
      name === '.shstrtab' ||
      name === '.strtab' ||
      name === '.symtab' ||
      name === '.rodata' ||
      (name.startsWith('.rodata.') && name.includes('.str1.'));
    if (standard) includeSection(section);
  }
  const nullSymbol = patched.symbols[0];
  if (nullSymbol) nullSymbol.include = true;
}

/** Include every changed function; returns how many there are. */
export function includeChangedFunctions(patched: DiffObject): number {
  let changed = 0;
  for (const symbol of patched.symbols) {
    if (symbol.status === 'changed' && symbol.type === STT_FUNC) {
      changed++;
      includeSymbol(symbol);
    }
    if (symbol.type === STT_FILE) symbol.include = true;
  }
  return changed;
}

/** Include new global definitions (new functions and data other objects may use). */
export function includeNewGlobals(patched: DiffObject): number {
  let count = 0;
  for (const symbol of patched.symbols) {
    if (symbol.bind === STB_GLOBAL && symbol.section && symbol.status === 'new') {
      includeSymbol(symbol);
      count++;
    }
  }
  return count;
}
