/**
 * Abbreviation tables (.debug_abbrev): for each code, the tag of the DIEs it describes,
 * whether they have children, and their attributes (name and form; DW_FORM_implicit_const
 * carries its value here).
 */
import { DW_FORM_implicit_const } from './constants.js';
import { Cursor } from './cursor.js';
import { DwarfFormatError } from './errors.js';

export interface Abbrev {
  readonly tag: number;
  readonly hasChildren: boolean;
  /** Attribute names, forms and implicit constants, in the DIE's order. */
  readonly names: readonly number[];
  readonly forms: readonly number[];
  readonly implicit: readonly number[];
}

/** Abbreviations by code (gcc numbers them densely from 1: an array, with holes allowed). */
export type AbbrevTable = readonly (Abbrev | undefined)[];

export function readAbbrevTable(abbrev: Buffer, offset: number): AbbrevTable {
  const cursor = new Cursor(abbrev, '.debug_abbrev', offset);
  const table: (Abbrev | undefined)[] = [];
  for (;;) {
    const code = cursor.uleb();
    if (code === 0) return table;
    const tag = cursor.uleb();
    const hasChildren = cursor.u8() !== 0;
    const names: number[] = [];
    const forms: number[] = [];
    const implicit: number[] = [];
    for (;;) {
      const name = cursor.uleb();
      const form = cursor.uleb();
      if (name === 0 && form === 0) break;
      names.push(name);
      forms.push(form);
      implicit.push(form === DW_FORM_implicit_const ? cursor.sleb() : 0);
    }
    if (code > 1 << 20) throw new DwarfFormatError(`.debug_abbrev: abbreviation code ${code} is implausibly large`);
    table[code] = { tag, hasChildren, names, forms, implicit };
  }
}
