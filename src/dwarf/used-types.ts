/**
 * The types a function uses, as its DWARF says: its return type, the types of its parameters
 * and locals (in nested blocks and in the functions inlined into it, whose DIEs point to their
 * abstract instance for the type), and the types of the global variables it refers to. From
 * those, every struct and union reachable through pointers, typedefs, arrays, qualifiers,
 * function types and members: what the function's code may read or write.
 */
import * as C from './constants.js';
import type { Die, DwarfInfo } from './info.js';
import { isAggregate } from './layouts.js';
import { QUALIFIERS } from './type-names.js';

/** Types that lead to another type by DW_AT_type. */
const WRAPPERS = new Set([
  C.DW_TAG_typedef,
  C.DW_TAG_pointer_type,
  C.DW_TAG_reference_type,
  C.DW_TAG_array_type,
  ...QUALIFIERS.keys(),
]);

/** The name a function's symbol has in DWARF: gcc's clones (`foo.isra.0`, `foo.cold`) are `foo`. */
export function sourceName(symbol: string): string {
  const dot = symbol.indexOf('.');
  return dot > 0 ? symbol.slice(0, dot) : symbol;
}

export class UsedTypes {
  private readonly functions = new Map<string, Die[]>();
  private readonly variables = new Map<string, Die[]>();

  constructor(private readonly info: DwarfInfo) {
    for (const unit of info.units) {
      for (const die of unit.children) {
        const map =
          die.tag === C.DW_TAG_subprogram ? this.functions : die.tag === C.DW_TAG_variable ? this.variables : undefined;
        const name = map && this.nameOf(die);
        if (!map || name === undefined) continue;
        const list = map.get(name);
        if (list) list.push(die);
        else map.set(name, [die]);
      }
    }
  }

  /**
   * Offsets of the types the function SYMBOL (a symbol name) and the global variables GLOBALS
   * (symbol names) use directly; empty when DWARF has no such function or variable.
   */
  directTypes(symbol: string, globals: Iterable<string>): number[] {
    const types: number[] = [];
    const walked = new Set<Die>();
    for (const die of this.functions.get(sourceName(symbol)) ?? []) this.walkFunction(die, types, walked);
    for (const global of globals) {
      for (const die of this.variables.get(sourceName(global)) ?? []) this.addTypeOf(die, types);
    }
    return types;
  }

  /** Offsets of the defined structs and unions reachable from the types at STARTS. */
  reachableAggregates(starts: readonly number[]): Set<number> {
    const aggregates = new Set<number>();
    const seen = new Set<number>();
    const stack = [...starts];
    for (let offset = stack.pop(); offset !== undefined; offset = stack.pop()) {
      if (seen.has(offset)) continue;
      seen.add(offset);
      const die = this.info.die(offset);
      if (!die) continue;
      if (isAggregate(die)) {
        if (!die.declaration) aggregates.add(offset);
        for (const member of die.children) if (member.type !== undefined) stack.push(member.type);
      } else if (WRAPPERS.has(die.tag)) {
        if (die.type !== undefined) stack.push(die.type);
      } else if (die.tag === C.DW_TAG_subroutine_type) {
        if (die.type !== undefined) stack.push(die.type);
        for (const parameter of die.children) if (parameter.type !== undefined) stack.push(parameter.type);
      }
    }
    return aggregates;
  }

  private origin(die: Die): Die | undefined {
    return die.origin === undefined ? undefined : this.info.die(die.origin);
  }

  private nameOf(die: Die): string | undefined {
    let current: Die | undefined = die;
    for (let depth = 0; current && depth < 8; depth++) {
      if (current.name !== undefined) return current.name;
      current = this.origin(current);
    }
    return undefined;
  }

  /** The DW_AT_type of DIE, or of the DIE it is an instance or the definition of. */
  private addTypeOf(die: Die, types: number[]): void {
    let current: Die | undefined = die;
    for (let depth = 0; current && depth < 8; depth++) {
      if (current.type !== undefined) {
        types.push(current.type);
        return;
      }
      current = this.origin(current);
    }
  }

  /** The types of a function's DIE, its abstract instance, and everything in its body. */
  private walkFunction(fn: Die, types: number[], walked: Set<Die>): void {
    if (walked.has(fn)) return;
    walked.add(fn);
    this.addTypeOf(fn, types);
    const origin = this.origin(fn);
    if (origin) this.walkFunction(origin, types, walked);
    const stack = [...fn.children];
    for (let die = stack.pop(); die; die = stack.pop()) {
      switch (die.tag) {
        case C.DW_TAG_formal_parameter:
        case C.DW_TAG_variable:
          this.addTypeOf(die, types);
          break;
        case C.DW_TAG_lexical_block:
          stack.push(...die.children);
          break;
        case C.DW_TAG_inlined_subroutine: {
          const inlined = this.origin(die);
          if (inlined) this.walkFunction(inlined, types, walked);
          stack.push(...die.children);
          break;
        }
      }
    }
  }
}
