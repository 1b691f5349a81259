/**
 * The layout of a struct or union as its DWARF gives it: byte size, and each member's name,
 * bit offset, bit-field width and type name. Members of anonymous structs and unions are the
 * containing type's own members (at their offset in it; a named member of an anonymous type
 * gives its members as `member.inner`), so that a change inside one is a change of the type
 * that holds it. Definitions are known by a key: `struct foo`, `union bar`, or the typedef
 * name of an anonymous one (`typedef struct { ... } foo_t` is `foo_t`).
 */
import * as C from './constants.js';
import type { Die, DwarfInfo } from './info.js';
import { QUALIFIERS, type TypeNames } from './type-names.js';

export interface Field {
  /** The member's name; `outer.inner` inside a named member of an anonymous type. */
  name: string;
  /** Offset from the start of the type, in bits. */
  bit: number;
  /** Width of a bit-field; undefined for other members. */
  bits: number | undefined;
  type: string;
}

export interface Layout {
  key: string;
  /** The definition's DIE. */
  die: Die;
  size: number | undefined;
  fields: Field[];
  /** Size and fields as one string: two layouts are the same when their signatures are. */
  signature: string;
}

const AGGREGATES = new Set([C.DW_TAG_structure_type, C.DW_TAG_class_type, C.DW_TAG_union_type]);

export function isAggregate(die: Die): boolean {
  return AGGREGATES.has(die.tag);
}

/** Anonymous types inside anonymous types this deep are broken DWARF, not C. */
const MAX_NESTING = 32;

export class Layouts {
  /** Keys of anonymous aggregates that a typedef names, by the aggregate's offset. */
  private readonly typedefNames = new Map<number, string>();
  private readonly layouts = new Map<number, Layout>();

  constructor(
    private readonly info: DwarfInfo,
    private readonly names: TypeNames,
  ) {
    for (const unit of info.units) {
      for (const die of unit.children) {
        if (die.tag !== C.DW_TAG_typedef || die.type === undefined || !die.name) continue;
        const target = info.die(die.type);
        if (target && isAggregate(target) && target.name === undefined && !this.typedefNames.has(target.offset)) {
          this.typedefNames.set(target.offset, die.name);
        }
      }
    }
  }

  /** The key of an aggregate DIE, or undefined for an anonymous one no typedef names. */
  keyOf(die: Die): string | undefined {
    if (die.name !== undefined) return this.names.tagged(die);
    return this.typedefNames.get(die.offset);
  }

  /** Every defined struct and union of the units that has a key, by key (several in different scopes). */
  definitions(): Map<string, Layout[]> {
    const byKey = new Map<string, Layout[]>();
    for (const unit of this.info.units) {
      for (const die of unit.children) {
        if (!isAggregate(die) || die.declaration) continue;
        const layout = this.layoutOf(die);
        if (!layout) continue;
        const list = byKey.get(layout.key);
        if (list) list.push(layout);
        else byKey.set(layout.key, [layout]);
      }
    }
    return byKey;
  }

  /** The layout of a defined aggregate that has a key; undefined otherwise. */
  layoutOf(die: Die): Layout | undefined {
    const known = this.layouts.get(die.offset);
    if (known) return known;
    const key = this.keyOf(die);
    if (key === undefined || die.declaration || !isAggregate(die)) return undefined;
    const fields: Field[] = [];
    this.addFields(die, '', 0, fields, 0);
    const signature = `${die.byteSize ?? '?'}|${fields.map((f) => `${f.name}@${f.bit}:${f.bits ?? ''}:${f.type}`).join(';')}`;
    const layout = { key, die, size: die.byteSize, fields, signature };
    this.layouts.set(die.offset, layout);
    return layout;
  }

  private addFields(aggregate: Die, prefix: string, base: number, fields: Field[], depth: number): void {
    for (const member of aggregate.children) {
      if (member.tag !== C.DW_TAG_member) continue;
      const bit = base + this.memberBit(member);
      const type = this.unqualified(member.type);
      const anonymous = type !== undefined && isAggregate(type) && type.name === undefined && !type.declaration;
      if (anonymous && member.bitSize === undefined && depth < MAX_NESTING) {
        this.addFields(type, member.name ? `${prefix}${member.name}.` : prefix, bit, fields, depth + 1);
        continue;
      }
      const typeName = this.names.of(member.type);
      fields.push({
        name: `${prefix}${member.name ?? `(anonymous ${typeName})`}`,
        bit,
        bits: member.bitSize,
        type: typeName,
      });
    }
  }

  /** The type at OFFSET without its qualifiers (`const struct { ... }` is a struct). */
  private unqualified(offset: number | undefined): Die | undefined {
    let die = offset === undefined ? undefined : this.info.die(offset);
    for (let depth = 0; die && QUALIFIERS.has(die.tag) && depth < MAX_NESTING; depth++) {
      die = die.type === undefined ? undefined : this.info.die(die.type);
    }
    return die;
  }

  /** The member's offset in its aggregate, in bits (DWARF 5 data_bit_offset, or 2-4 bit_offset). */
  private memberBit(member: Die): number {
    if (member.dataBitOffset !== undefined) return member.dataBitOffset;
    const bytes = (member.memberLocation ?? 0) * 8;
    if (member.bitSize === undefined || member.bitOffset === undefined) return bytes;
    // DWARF 2-4 count from the most significant bit of the storage unit (little-endian x86).
    const storage = member.byteSize ?? this.byteSizeOf(member.type) ?? 0;
    return bytes + storage * 8 - member.bitOffset - member.bitSize;
  }

  /** The byte size of a type, through typedefs and qualifiers. */
  private byteSizeOf(offset: number | undefined): number | undefined {
    for (let depth = 0; offset !== undefined && depth < MAX_NESTING; depth++) {
      const die = this.info.die(offset);
      if (!die) return undefined;
      if (die.byteSize !== undefined) return die.byteSize;
      offset = die.type;
    }
    return undefined;
  }
}
