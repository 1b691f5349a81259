/**
 * The debugging information entries of .debug_info (DWARF 2 to 5, 32- and 64-bit), as a tree
 * of the DIEs that describe types, functions and variables, with the attributes a layout or a
 * use of a type needs. DIEs of other kinds (enumerators, call sites) are read past and not kept,
 * nor are their children.
 *
 * Most of a kernel object's DIEs are inside its functions (parameters, locals, inlined calls).
 * The children of a unit's functions are read when first asked for (`die.children`, or a DIE
 * looked up by offset inside one): a reader that compares types reads only the type DIEs.
 */
import { readAbbrevTable, type AbbrevTable } from './abbrev.js';
import * as C from './constants.js';
import { Cursor } from './cursor.js';
import { DwarfFormatError } from './errors.js';
import { readForm, skipForm, StringTables, type UnitEncoding } from './forms.js';
import type { DwarfSections } from './sections.js';

const DW_AT_sibling = 0x01;

const NO_CHILDREN: readonly Die[] = Object.freeze([]);

/** One kept DIE. References (type, origin) are .debug_info offsets of other DIEs. */
export class Die {
  name: string | undefined = undefined;
  /** DW_AT_type. */
  type: number | undefined = undefined;
  byteSize: number | undefined = undefined;
  /** DW_AT_data_member_location (a constant, or a DW_OP_plus_uconst expression). */
  memberLocation: number | undefined = undefined;
  bitSize: number | undefined = undefined;
  /** DW_AT_bit_offset (DWARF 2-4: from the storage unit's most significant bit). */
  bitOffset: number | undefined = undefined;
  dataBitOffset: number | undefined = undefined;
  upperBound: number | undefined = undefined;
  count: number | undefined = undefined;
  declaration = false;
  /** DW_AT_abstract_origin or DW_AT_specification: where this DIE's other attributes are. */
  origin: number | undefined = undefined;
  /** Made on the first child: most DIEs (members, parameters) have none. */
  private kids: Die[] | undefined = undefined;
  /** Reads the children of a function whose children were left for later. */
  private pending: (() => void) | undefined = undefined;

  constructor(
    readonly offset: number,
    readonly tag: number,
    readonly parent: Die | undefined,
  ) {}

  get children(): readonly Die[] {
    if (this.pending) {
      const read = this.pending;
      this.pending = undefined;
      read();
    }
    return this.kids ?? NO_CHILDREN;
  }

  /** For the reader. */
  addChild(child: Die): void {
    if (this.kids) this.kids.push(child);
    else this.kids = [child];
  }

  /** For the reader: READ adds the children when they are first asked for. */
  deferChildren(read: () => void): void {
    this.pending = read;
  }
}

/** Tags whose DIEs (and children) are not kept: nothing about types or their users is in them. */
const SKIPPED_TAGS = new Set([
  C.DW_TAG_enumerator,
  C.DW_TAG_call_site,
  C.DW_TAG_call_site_parameter,
  C.DW_TAG_GNU_call_site,
  C.DW_TAG_GNU_call_site_parameter,
]);

/** Attributes the reader decodes (by DW_AT number; all are below 0x80), DW_AT_sibling among them. */
const KEPT = new Uint8Array(0x80);
for (const name of [
  DW_AT_sibling,
  C.DW_AT_name,
  C.DW_AT_type,
  C.DW_AT_byte_size,
  C.DW_AT_data_member_location,
  C.DW_AT_bit_size,
  C.DW_AT_bit_offset,
  C.DW_AT_data_bit_offset,
  C.DW_AT_upper_bound,
  C.DW_AT_count,
  C.DW_AT_declaration,
  C.DW_AT_abstract_origin,
  C.DW_AT_specification,
  C.DW_AT_str_offsets_base,
])
  KEPT[name] = 1;

function setAttribute(die: Die, name: number, value: number | string | undefined, unit: UnitEncoding): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (name === C.DW_AT_name) die.name = value;
    return;
  }
  switch (name) {
    case C.DW_AT_type:
      die.type = value;
      return;
    case C.DW_AT_byte_size:
      die.byteSize = value;
      return;
    case C.DW_AT_data_member_location:
      die.memberLocation = value;
      return;
    case C.DW_AT_bit_size:
      die.bitSize = value;
      return;
    case C.DW_AT_bit_offset:
      die.bitOffset = value;
      return;
    case C.DW_AT_data_bit_offset:
      die.dataBitOffset = value;
      return;
    case C.DW_AT_upper_bound:
      die.upperBound = value;
      return;
    case C.DW_AT_count:
      die.count = value;
      return;
    case C.DW_AT_declaration:
      die.declaration = value !== 0;
      return;
    case C.DW_AT_abstract_origin:
    case C.DW_AT_specification:
      die.origin = value;
      return;
    case C.DW_AT_str_offsets_base:
      unit.strOffsetsBase = value;
      return;
  }
}

interface Unit {
  encoding: UnitEncoding;
  table: AbbrevTable;
  /** Where the unit's first DIE is, and where the unit ends. */
  diesStart: number;
  end: number;
}

function readUnitHeader(cursor: Cursor, tables: Map<number, AbbrevTable>, abbrev: Buffer): Unit {
  const unitOffset = cursor.pos;
  let length = cursor.u32();
  let offsetSize = 4;
  if (length === 0xffffffff) {
    length = cursor.u64();
    offsetSize = 8;
  } else if (length >= 0xfffffff0) {
    throw new DwarfFormatError(`.debug_info: reserved unit length 0x${length.toString(16)} at offset ${unitOffset}`);
  }
  const end = cursor.pos + length;
  if (end > cursor.bytes.length) throw new DwarfFormatError(`.debug_info: unit at ${unitOffset} runs past the end`);
  const version = cursor.u16();
  if (version < 2 || version > 5) throw new DwarfFormatError(`.debug_info: unit version ${version} at ${unitOffset}`);
  let addressSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    const unitType = cursor.u8();
    addressSize = cursor.u8();
    abbrevOffset = cursor.offset(offsetSize);
    if (unitType === C.DW_UT_skeleton || unitType === C.DW_UT_split_compile) cursor.skip(8);
    else if (unitType === C.DW_UT_type || unitType === C.DW_UT_split_type) cursor.skip(8 + offsetSize);
  } else {
    abbrevOffset = cursor.offset(offsetSize);
    addressSize = cursor.u8();
  }
  let table = tables.get(abbrevOffset);
  if (!table) {
    table = readAbbrevTable(abbrev, abbrevOffset);
    tables.set(abbrevOffset, table);
  }
  return {
    encoding: { version, offsetSize, addressSize, unitOffset, strOffsetsBase: version >= 5 ? 8 : 0 },
    table,
    diesStart: cursor.pos,
    end,
  };
}

/** A function whose children are read later: its DIE and the span of its subtree. */
interface Deferred {
  start: number;
  end: number;
  die: Die;
}

export class DwarfInfo {
  /** The top DIE of each unit (DW_TAG_compile_unit, or partial/type units). */
  readonly units: Die[] = [];
  /** Kept DIEs in reading order, and where each is in that list by offset (+1; 0: none). */
  private readonly dies: Die[] = [];
  private readonly indexAt: Uint32Array;
  /** In .debug_info order. */
  private readonly deferred: Deferred[] = [];
  private readonly strings: StringTables;

  /** Reads every unit's DIEs but its functions' children. Throws DwarfFormatError on what it cannot decode. */
  constructor(private readonly sections: DwarfSections) {
    this.strings = new StringTables(sections);
    this.indexAt = new Uint32Array(sections.info.length);
    const cursor = new Cursor(sections.info, '.debug_info');
    const tables = new Map<number, AbbrevTable>();
    while (cursor.pos < sections.info.length) {
      const unit = readUnitHeader(cursor, tables, sections.abbrev);
      this.read(unit, unit.diesStart, []);
      cursor.pos = unit.end;
    }
  }

  /** The kept DIE at OFFSET (reading the function it is in, if that was left for later). */
  die(offset: number): Die | undefined {
    const die = this.kept(offset);
    if (die) return die;
    const deferred = this.deferred;
    let low = 0;
    let high = deferred.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const span = deferred[mid] as Deferred;
      if (offset < span.start) high = mid - 1;
      else if (offset >= span.end) low = mid + 1;
      else {
        void span.die.children;
        return this.kept(offset);
      }
    }
    return undefined;
  }

  private kept(offset: number): Die | undefined {
    const index = offset >= 0 && offset < this.indexAt.length ? (this.indexAt[offset] as number) : 0;
    return index === 0 ? undefined : this.dies[index - 1];
  }

  /**
   * Read DIEs from POS: to the unit's end when STACK is empty (a whole unit), else until the
   * children list of STACK's last DIE ends. Returns where reading stopped.
   */
  private read(unit: Unit, pos: number, stack: (Die | null)[]): number {
    const { encoding, table, end } = unit;
    const cursor = new Cursor(this.sections.info, '.debug_info', pos);
    const wholeUnit = stack.length === 0;
    while (cursor.pos < end) {
      const offset = cursor.pos;
      const code = cursor.uleb();
      if (code === 0) {
        stack.pop(); // the end of a list of children (or padding after the unit's last DIE)
        if (!wholeUnit && stack.length === 0) break;
        continue;
      }
      const abbrev = table[code];
      if (!abbrev) throw new DwarfFormatError(`.debug_info: unknown abbreviation ${code} at offset ${offset}`);
      const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
      const die = parent === null || SKIPPED_TAGS.has(abbrev.tag) ? null : new Die(offset, abbrev.tag, parent);
      const { names, forms } = abbrev;
      let sibling: number | undefined;
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as number;
        const form = forms[i] as number;
        if (die === null || name >= 0x80 || KEPT[name] === 0) skipForm(cursor, form, encoding);
        else if (form === C.DW_FORM_implicit_const) setAttribute(die, name, abbrev.implicit[i], encoding);
        else if (name === DW_AT_sibling) sibling = readForm(cursor, form, encoding, this.strings) as number | undefined;
        else setAttribute(die, name, readForm(cursor, form, encoding, this.strings), encoding);
      }
      if (die) {
        this.indexAt[offset] = this.dies.push(die);
        if (parent) parent.addChild(die);
        else this.units.push(die);
      }
      if (!abbrev.hasChildren) continue;
      if (die && wholeUnit && stack.length === 1 && die.tag === C.DW_TAG_subprogram) {
        const childrenStart = cursor.pos;
        const subtreeEnd =
          sibling !== undefined && sibling > childrenStart && sibling <= end
            ? sibling
            : this.read(unit, childrenStart, [null]);
        this.deferred.push({ start: offset, end: subtreeEnd, die });
        die.deferChildren(() => void this.read(unit, childrenStart, [die]));
        cursor.pos = subtreeEnd;
        continue;
      }
      stack.push(die);
    }
    return cursor.pos;
  }
}
