/**
 * Refuse a patch that changes the layout of a struct or union its changed functions use.
 * Existing kernel data keeps the layout it was created with: a new member, a member moved or
 * retyped, or a new size makes the patched code read and write the old objects wrongly. The
 * original's and the patched object's DWARF are compared by type name (src/dwarf); a changed
 * type is refused when a changed or new function reaches it (through its parameters, locals,
 * return type, the globals its code refers to, and what those point to). A type only the
 * patched object defines is new, not changed; data added through shadow variables
 * (klp_shadow_*) leaves every layout as it was.
 */
import { STT_FUNC, STT_SECTION } from '../elf/constants.js';
import {
  changedLayouts,
  DwarfFormatError,
  layoutChanges,
  readDwarf,
  summarizeChanges,
  type ChangedLayout,
  type Dwarf,
} from '../dwarf/index.js';
import type { Refusal } from '../util/refusal.js';
import type { DiffObject, DiffSymbol } from './model.js';

export interface StructLayoutCheck {
  refusals: Refusal[];
  notes: string[];
}

/** Functions named in one refusal before the rest are counted. */
const SHOWN_FUNCTIONS = 4;

function dwarfOf(object: DiffObject): Dwarf | string {
  try {
    return (
      readDwarf(object.sections.map((section) => section.source)) ?? `${object.path} has no DWARF (built without -g)`
    );
  } catch (error) {
    if (error instanceof DwarfFormatError) return `${object.path}: ${error.message}`;
    throw error;
  }
}

/** Names of the variables the code of FN (and its split-off parts) refers to by relocation. */
function referencedGlobals(fn: DiffSymbol): Set<string> {
  const names = new Set<string>();
  for (const part of [fn, ...fn.children]) {
    for (const relocation of part.section?.rela?.relocations ?? []) {
      const symbol = relocation.symbol;
      if (symbol.type !== STT_FUNC && symbol.type !== STT_SECTION && symbol.name) names.add(symbol.name);
    }
  }
  return names;
}

function functionList(functions: readonly string[]): string {
  const shown = functions.slice(0, SHOWN_FUNCTIONS).map((name) => `${name}()`);
  if (functions.length > SHOWN_FUNCTIONS) shown.push(`${functions.length - SHOWN_FUNCTIONS} more`);
  return shown.join(', ');
}

function refusal(change: ChangedLayout, users: readonly string[]): Refusal {
  return {
    category: 'struct-layout-changed',
    reason:
      `${change.after.key} changed layout (${summarizeChanges(layoutChanges(change.before, change.after))}), ` +
      `used by ${functionList(users)}; existing kernel data keeps the old layout; ` +
      'use a shadow variable (klp_shadow_*) instead',
  };
}

/**
 * The refusals for the structs and unions whose layout PATCHED changes and that FUNCTIONS
 * (the changed and new functions' symbol names) use; a note instead when either object's
 * DWARF is missing or unreadable (the layouts are then not checked).
 */
export function checkStructLayouts(
  original: DiffObject,
  patched: DiffObject,
  functions: readonly string[],
): StructLayoutCheck {
  if (functions.length === 0) return { refusals: [], notes: [] };
  const before = dwarfOf(original);
  const after = dwarfOf(patched);
  const missing = [before, after].filter((d): d is string => typeof d === 'string');
  if (typeof before === 'string' || typeof after === 'string') {
    return { refusals: [], notes: [`struct layouts not checked: ${missing.join('; ')}`] };
  }
  const changed = changedLayouts(before.layouts, after.layouts);
  if (changed.size === 0) return { refusals: [], notes: [] };

  const users = new Map<number, string[]>();
  for (const name of functions) {
    const symbol = patched.symbolsByName.get(name);
    const globals = symbol ? referencedGlobals(symbol) : [];
    const reached = after.used.reachableAggregates(after.used.directTypes(name, globals));
    for (const offset of changed.keys()) {
      if (!reached.has(offset)) continue;
      const list = users.get(offset);
      if (list) list.push(name);
      else users.set(offset, [name]);
    }
  }
  const refusals: Refusal[] = [];
  for (const [offset, change] of changed) {
    const list = users.get(offset);
    if (list) refusals.push(refusal(change, list));
  }
  return { refusals, notes: [] };
}
