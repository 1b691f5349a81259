/**
 * Attribute values by form: read the value of an attribute the reader keeps, skip any other.
 * References come out as .debug_info offsets; strings from the string sections; an exprloc
 * that is one constant (DW_OP_plus_uconst or DW_OP_constu N, as data_member_location and
 * upper bounds are written) as that constant.
 */
import * as F from './constants.js';
import { stringAt, type Cursor } from './cursor.js';
import { DwarfFormatError } from './errors.js';
import type { DwarfSections } from './sections.js';

/** What a unit's header says about how its attributes are encoded. */
export interface UnitEncoding {
  readonly version: number;
  /** 4 in 32-bit DWARF, 8 in 64-bit DWARF. */
  readonly offsetSize: number;
  readonly addressSize: number;
  /** Offset of the unit in .debug_info (CU-relative references are relative to it). */
  readonly unitOffset: number;
  /** DW_AT_str_offsets_base of the unit (DWARF 5 strx forms). */
  strOffsetsBase: number;
}

export type FormValue = number | string | undefined;

/** Strings by section offset, decoded once per file. */
export class StringTables {
  private readonly str = new Map<number, string>();
  private readonly lineStr = new Map<number, string>();

  constructor(private readonly sections: DwarfSections) {}

  strp(offset: number): string {
    let s = this.str.get(offset);
    if (s === undefined) {
      s = stringAt(this.sections.str, offset, '.debug_str');
      this.str.set(offset, s);
    }
    return s;
  }

  lineStrp(offset: number): string {
    let s = this.lineStr.get(offset);
    if (s === undefined) {
      s = stringAt(this.sections.lineStr, offset, '.debug_line_str');
      this.lineStr.set(offset, s);
    }
    return s;
  }

  strx(index: number, unit: UnitEncoding): string {
    const offsets = this.sections.strOffsets;
    const at = unit.strOffsetsBase + index * unit.offsetSize;
    if (!offsets || at + unit.offsetSize > offsets.length) {
      throw new DwarfFormatError(`.debug_str_offsets: string index ${index} is outside the section`);
    }
    const offset = unit.offsetSize === 4 ? offsets.readUInt32LE(at) : Number(offsets.readBigUInt64LE(at));
    return this.strp(offset);
  }
}

/** The constant of a one-operation expression (DW_OP_plus_uconst N, DW_OP_constu N), else undefined. */
function expressionConstant(cursor: Cursor, length: number): number | undefined {
  const end = cursor.pos + length;
  cursor.need(length);
  let value: number | undefined;
  if (length > 0) {
    const op = cursor.u8();
    if (op === F.DW_OP_plus_uconst || op === F.DW_OP_constu) value = cursor.uleb();
  }
  if (cursor.pos !== end) value = undefined;
  cursor.pos = end;
  return value;
}

/** The value of an attribute of FORM at CURSOR (which moves past it). */
export function readForm(cursor: Cursor, form: number, unit: UnitEncoding, strings: StringTables): FormValue {
  switch (form) {
    case F.DW_FORM_data1:
    case F.DW_FORM_ref1:
    case F.DW_FORM_flag:
    case F.DW_FORM_strx1:
    case F.DW_FORM_addrx1: {
      const v = cursor.u8();
      if (form === F.DW_FORM_ref1) return unit.unitOffset + v;
      if (form === F.DW_FORM_strx1) return strings.strx(v, unit);
      return v;
    }
    case F.DW_FORM_data2:
    case F.DW_FORM_ref2:
    case F.DW_FORM_strx2:
    case F.DW_FORM_addrx2: {
      const v = cursor.u16();
      if (form === F.DW_FORM_ref2) return unit.unitOffset + v;
      if (form === F.DW_FORM_strx2) return strings.strx(v, unit);
      return v;
    }
    case F.DW_FORM_strx3:
      return strings.strx(cursor.u24(), unit);
    case F.DW_FORM_addrx3:
      return cursor.u24();
    case F.DW_FORM_data4:
    case F.DW_FORM_ref4:
    case F.DW_FORM_strx4:
    case F.DW_FORM_addrx4:
    case F.DW_FORM_ref_sup4: {
      const v = cursor.u32();
      if (form === F.DW_FORM_ref4) return unit.unitOffset + v;
      if (form === F.DW_FORM_strx4) return strings.strx(v, unit);
      return form === F.DW_FORM_ref_sup4 ? undefined : v;
    }
    case F.DW_FORM_data8:
      return cursor.i64();
    case F.DW_FORM_ref8:
      return unit.unitOffset + cursor.u64();
    case F.DW_FORM_ref_sig8:
    case F.DW_FORM_ref_sup8:
      cursor.skip(8);
      return undefined;
    case F.DW_FORM_data16:
      cursor.skip(16);
      return undefined;
    case F.DW_FORM_sdata:
      return cursor.sleb();
    case F.DW_FORM_udata:
    case F.DW_FORM_addrx:
    case F.DW_FORM_loclistx:
    case F.DW_FORM_rnglistx:
    case F.DW_FORM_GNU_addr_index:
      return cursor.uleb();
    case F.DW_FORM_ref_udata:
      return unit.unitOffset + cursor.uleb();
    case F.DW_FORM_strx:
    case F.DW_FORM_GNU_str_index:
      return strings.strx(cursor.uleb(), unit);
    case F.DW_FORM_implicit_const:
      throw new DwarfFormatError('DW_FORM_implicit_const read without its abbreviation');
    case F.DW_FORM_flag_present:
      return 1;
    case F.DW_FORM_addr:
      return unit.addressSize === 4 ? cursor.u32() : cursor.u64();
    case F.DW_FORM_ref_addr:
      // DWARF 2 wrote it with the address size; later versions with the offset size.
      return unit.version <= 2 ? cursor.offset(unit.addressSize) : cursor.offset(unit.offsetSize);
    case F.DW_FORM_sec_offset:
      return cursor.offset(unit.offsetSize);
    case F.DW_FORM_strp:
      return strings.strp(cursor.offset(unit.offsetSize));
    case F.DW_FORM_line_strp:
      return strings.lineStrp(cursor.offset(unit.offsetSize));
    case F.DW_FORM_strp_sup:
    case F.DW_FORM_GNU_strp_alt:
    case F.DW_FORM_GNU_ref_alt:
      // In a supplementary file (dwz), which an object never has.
      cursor.offset(unit.offsetSize);
      return undefined;
    case F.DW_FORM_string: {
      const start = cursor.skipString();
      return cursor.bytes.toString('latin1', start, cursor.pos - 1);
    }
    case F.DW_FORM_exprloc:
    case F.DW_FORM_block:
      return expressionConstant(cursor, cursor.uleb());
    case F.DW_FORM_block1:
      return expressionConstant(cursor, cursor.u8());
    case F.DW_FORM_block2:
      return expressionConstant(cursor, cursor.u16());
    case F.DW_FORM_block4:
      return expressionConstant(cursor, cursor.u32());
    case F.DW_FORM_indirect:
      return readForm(cursor, cursor.uleb(), unit, strings);
    default:
      throw new DwarfFormatError(`unknown attribute form 0x${form.toString(16)} at .debug_info offset ${cursor.pos}`);
  }
}

/** Move CURSOR past an attribute of FORM without decoding it. */
export function skipForm(cursor: Cursor, form: number, unit: UnitEncoding): void {
  switch (form) {
    case F.DW_FORM_data1:
    case F.DW_FORM_ref1:
    case F.DW_FORM_flag:
    case F.DW_FORM_strx1:
    case F.DW_FORM_addrx1:
      cursor.skip(1);
      return;
    case F.DW_FORM_data2:
    case F.DW_FORM_ref2:
    case F.DW_FORM_strx2:
    case F.DW_FORM_addrx2:
      cursor.skip(2);
      return;
    case F.DW_FORM_strx3:
    case F.DW_FORM_addrx3:
      cursor.skip(3);
      return;
    case F.DW_FORM_data4:
    case F.DW_FORM_ref4:
    case F.DW_FORM_strx4:
    case F.DW_FORM_addrx4:
    case F.DW_FORM_ref_sup4:
      cursor.skip(4);
      return;
    case F.DW_FORM_data8:
    case F.DW_FORM_ref8:
    case F.DW_FORM_ref_sig8:
    case F.DW_FORM_ref_sup8:
      cursor.skip(8);
      return;
    case F.DW_FORM_data16:
      cursor.skip(16);
      return;
    case F.DW_FORM_sdata:
    case F.DW_FORM_udata:
    case F.DW_FORM_ref_udata:
    case F.DW_FORM_strx:
    case F.DW_FORM_addrx:
    case F.DW_FORM_loclistx:
    case F.DW_FORM_rnglistx:
    case F.DW_FORM_GNU_addr_index:
    case F.DW_FORM_GNU_str_index:
      cursor.uleb();
      return;
    case F.DW_FORM_implicit_const:
    case F.DW_FORM_flag_present:
      return;
    case F.DW_FORM_addr:
      cursor.skip(unit.addressSize);
      return;
    case F.DW_FORM_ref_addr:
      cursor.skip(unit.version <= 2 ? unit.addressSize : unit.offsetSize);
      return;
    case F.DW_FORM_sec_offset:
    case F.DW_FORM_strp:
    case F.DW_FORM_line_strp:
    case F.DW_FORM_strp_sup:
    case F.DW_FORM_GNU_strp_alt:
    case F.DW_FORM_GNU_ref_alt:
      cursor.skip(unit.offsetSize);
      return;
    case F.DW_FORM_string:
      cursor.skipString();
      return;
    case F.DW_FORM_exprloc:
    case F.DW_FORM_block:
      cursor.skip(cursor.uleb());
      return;
    case F.DW_FORM_block1:
      cursor.skip(cursor.u8());
      return;
    case F.DW_FORM_block2:
      cursor.skip(cursor.u16());
      return;
    case F.DW_FORM_block4:
      cursor.skip(cursor.u32());
      return;
    case F.DW_FORM_indirect:
      skipForm(cursor, cursor.uleb(), unit);
      return;
    default:
      throw new DwarfFormatError(`unknown attribute form 0x${form.toString(16)} at .debug_info offset ${cursor.pos}`);
  }
}
