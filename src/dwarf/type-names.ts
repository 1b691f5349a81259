/**
 * Type DIEs as C spells them, for comparing a member's type between two objects and for
 * messages: `struct foo *`, `unsigned int [4]`, `int (*)(struct file *, long)`, `u32`.
 * Qualifiers come after what they qualify (`char const *`, `char *const`), so that a name
 * is one string whatever the declaration looked like. An anonymous struct or union is
 * `struct {...}`: its members are compared where it is used (see layouts.ts).
 */
import * as C from './constants.js';
import type { Die, DwarfInfo } from './info.js';

/** Qualifier tags and how C spells them. */
export const QUALIFIERS: ReadonlyMap<number, string> = new Map([
  [C.DW_TAG_const_type, 'const'],
  [C.DW_TAG_volatile_type, 'volatile'],
  [C.DW_TAG_restrict_type, 'restrict'],
  [C.DW_TAG_atomic_type, '_Atomic'],
]);

const KEYWORDS = new Map([
  [C.DW_TAG_structure_type, 'struct'],
  [C.DW_TAG_class_type, 'class'],
  [C.DW_TAG_union_type, 'union'],
  [C.DW_TAG_enumeration_type, 'enum'],
]);

/** Chains of pointers and arrays of this depth are not C any more: a cycle in broken DWARF. */
const MAX_DEPTH = 64;

export class TypeNames {
  private readonly names = new Map<number, string>();

  constructor(private readonly info: DwarfInfo) {}

  /** The C name of the type at OFFSET (undefined: `void`). */
  of(offset: number | undefined): string {
    if (offset === undefined) return 'void';
    let name = this.names.get(offset);
    if (name === undefined) {
      name = this.declare(offset, '', 0);
      this.names.set(offset, name);
    }
    return name;
  }

  /** The name of a struct, union or enum by its tag (`struct foo`), or `struct {...}`. */
  tagged(die: Die): string {
    return `${KEYWORDS.get(die.tag) ?? 'type'} ${die.name ?? '{...}'}`;
  }

  /** The type at OFFSET declared around INNER (a declarator: `*`, `[4]`, `(*)(int)`). */
  private declare(offset: number | undefined, inner: string, depth: number): string {
    const die = offset === undefined ? undefined : this.info.die(offset);
    const around = (base: string) => (inner ? `${base} ${inner}` : base);
    if (!die) return around(offset === undefined ? 'void' : '?');
    if (depth > MAX_DEPTH) return around('...');
    const qualifier = QUALIFIERS.get(die.tag);
    if (qualifier) return this.declare(die.type, inner ? `${qualifier} ${inner}` : qualifier, depth + 1);
    switch (die.tag) {
      case C.DW_TAG_pointer_type:
      case C.DW_TAG_reference_type: {
        const star = die.tag === C.DW_TAG_pointer_type ? '*' : '&';
        const target = die.type === undefined ? undefined : this.info.die(die.type);
        const nested = target?.tag === C.DW_TAG_array_type || target?.tag === C.DW_TAG_subroutine_type;
        return this.declare(die.type, nested ? `(${star}${inner})` : `${star}${inner}`, depth + 1);
      }
      case C.DW_TAG_array_type:
        return this.declare(die.type, `${inner}${this.dimensions(die)}`, depth + 1);
      case C.DW_TAG_subroutine_type:
        return this.declare(die.type, `${inner}(${this.parameters(die)})`, depth + 1);
      case C.DW_TAG_structure_type:
      case C.DW_TAG_class_type:
      case C.DW_TAG_union_type:
      case C.DW_TAG_enumeration_type:
        return around(this.tagged(die));
      default:
        // Base types, typedefs, unspecified types: their name.
        return around(die.name ?? '?');
    }
  }

  private dimensions(array: Die): string {
    const bounds = array.children.filter((child) => child.tag === C.DW_TAG_subrange_type);
    if (bounds.length === 0) return '[]';
    return bounds
      .map((range) => {
        const count = range.count ?? (range.upperBound === undefined ? undefined : range.upperBound + 1);
        return `[${count === undefined ? '' : count}]`;
      })
      .join('');
  }

  private parameters(fn: Die): string {
    const names: string[] = [];
    for (const child of fn.children) {
      if (child.tag === C.DW_TAG_formal_parameter) names.push(this.of(child.type));
      else if (child.tag === C.DW_TAG_unspecified_parameters) names.push('...');
    }
    return names.join(', ');
  }
}
