import {
  ET_REL,
  readElf,
  STB_LOCAL,
  STT_FILE,
  STT_FUNC,
  STT_OBJECT,
  STT_NOTYPE,
  type ElfSymbol,
} from '../elf/index.js';

/** A symbol of the running kernel (vmlinux or a module) as livepatch counts it. */
export interface TargetSymbol {
  name: string;
  value: bigint;
  local: boolean;
  /** Name of the STT_FILE symbol of the block a local symbol belongs to (e.g. "cmdline.c"). */
  file: string | undefined;
  /** Index of that file block, to tell apart two files of the same name. */
  block: number;
  /** st_size. */
  size: number;
  /** Position in the symbol table (locals of one input object are contiguous there). */
  index: number;
}

/**
 * The order in which the livepatch core counts the symbols of one name: kallsyms of vmlinux
 * are sorted by address; a module's symbols are walked in the order of its symbol table
 * (module_kallsyms_on_each_symbol), where st_value is only an offset in a section.
 */
export type CountingOrder = 'address' | 'symtab';

/** The counting order for a target file of ELF type FILETYPE: a module (.ko, ET_REL) or vmlinux. */
export function countingOrderOf(fileType: number): CountingOrder {
  return fileType === ET_REL ? 'symtab' : 'address';
}

/**
 * The symbol table of a patch target, indexed by name. The livepatch core finds a symbol by
 * name and position: position N is the Nth symbol of that name in the target's counting
 * order (see CountingOrder), counted from 1; position 0 means the name must be unique.
 */
export class TargetSymbols {
  private readonly byName = new Map<string, TargetSymbol[]>();
  /** Local symbol names of each file block. */
  private readonly blockNames: Set<string>[] = [];
  /** Local functions and data by symbol-table index (name and size), for alignments. */
  private readonly locals: Array<{ name: string; size: number } | undefined> = [];

  constructor(
    readonly objectName: string,
    symbols: readonly ElfSymbol[],
    readonly order: CountingOrder,
  ) {
    let file: string | undefined;
    let block = -1;
    for (const [index, symbol] of symbols.entries()) {
      if (symbol.type === STT_FILE) {
        file = symbol.name;
        block = this.blockNames.length;
        this.blockNames.push(new Set());
        continue;
      }
      if (symbol.name === '' || symbol.isUndefined) continue;
      if (symbol.type !== STT_FUNC && symbol.type !== STT_OBJECT && symbol.type !== STT_NOTYPE) continue;
      const local = symbol.bind === STB_LOCAL;
      const entry: TargetSymbol = {
        name: symbol.name,
        value: symbol.value,
        local,
        file: local ? file : undefined,
        block: local ? block : -1,
        size: symbol.size,
        index,
      };
      if (local && symbol.type !== STT_NOTYPE) this.locals[index] = { name: symbol.name, size: symbol.size };
      if (local && block >= 0) this.blockNames[block]?.add(symbol.name);
      const list = this.byName.get(symbol.name);
      if (list) list.push(entry);
      else this.byName.set(symbol.name, [entry]);
    }
    // Lists are in symbol-table order; vmlinux counts by address (a stable sort keeps symbols
    // at the same address in symbol-table order).
    if (order === 'address')
      for (const list of this.byName.values())
        list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }

  /** Reads a target: vmlinux (counted in address order) or a module (symbol-table order). */
  static async read(objectName: string, path: string): Promise<TargetSymbols> {
    const elf = await readElf(path);
    return new TargetSymbols(objectName, elf.symbols, countingOrderOf(elf.header.type));
  }

  named(name: string): readonly TargetSymbol[] {
    return this.byName.get(name) ?? [];
  }

  /** livepatch's position of a symbol among those of its name (0 when the name is unique). */
  positionOf(symbol: TargetSymbol): number {
    const list = this.named(symbol.name);
    return list.length === 1 ? 0 : list.indexOf(symbol) + 1;
  }

  /** Whether the target has file blocks (STT_FILE symbols); Debian strips them from modules. */
  get hasFileBlocks(): boolean {
    return this.blockNames.length > 0;
  }

  /**
   * How well an object's local functions and data (in its symbol-table order, with sizes) line
   * up with the target's locals around SYMBOL: a relocatable link keeps the locals of each input
   * object together and in order, so the object's own block matches entry for entry. 0 when
   * SYMBOL itself does not match (by name and size); otherwise the number of aligned matches.
   */
  alignmentScore(symbol: TargetSymbol, original: ReadonlyArray<{ name: string; size: number }>): number {
    const sequence = this.localSequence();
    const at = sequence.positions.get(symbol.index);
    const anchor = original.findIndex((o) => o.name === symbol.name);
    if (at === undefined || anchor < 0 || original[anchor]!.size !== symbol.size) return 0;
    let score = 0;
    for (let k = -anchor; k < original.length - anchor; k++) {
      const mine = sequence.locals[at + k];
      const theirs = original[anchor + k]!;
      if (mine && mine.name === theirs.name && mine.size === theirs.size) score++;
    }
    return score;
  }

  private sequence: { locals: Array<{ name: string; size: number }>; positions: Map<number, number> } | undefined;

  private localSequence() {
    if (!this.sequence) {
      const locals: Array<{ name: string; size: number }> = [];
      const positions = new Map<number, number>();
      this.locals.forEach((local, index) => {
        if (!local) return;
        positions.set(index, locals.length);
        locals.push(local);
      });
      this.sequence = { locals, positions };
    }
    return this.sequence;
  }

  /** How many of NAMES are locals of file block BLOCK (to pick the block of an object). */
  blockScore(block: number, names: Iterable<string>): number {
    const set = this.blockNames[block];
    if (!set) return 0;
    let score = 0;
    for (const name of names) if (set.has(name)) score++;
    return score;
  }
}
