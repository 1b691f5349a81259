import { SHT_NOBITS } from '../constants.js';

/** What a section is made from; every field but name and type has a neutral default. */
export interface SectionInit {
  name: string;
  type: number;
  flags?: number;
  addr?: bigint;
  addralign?: number;
  entsize?: number;
  link?: ElfSection | undefined;
  info?: number;
  infoSection?: ElfSection | undefined;
  /** Contents (ignored for SHT_NOBITS, whose size is `size`). */
  data?: Buffer | (() => Buffer);
  /** Size of an SHT_NOBITS section, or the size of lazily supplied data. */
  size?: number;
}

/**
 * One section of the model. Cross references are object references, not indexes, so the
 * model can be edited (sections added, removed, reordered) and the writer derives all
 * indexes at layout time.
 *
 * Subclasses hold sections whose contents the writer encodes from the model: symbol tables
 * (ElfSymbolTable), relocation sections (ElfRelocationSection) and groups (ElfGroupSection).
 */
export class ElfSection {
  // Fields are `declare`d and set in the constructor only: emitted as ES2022 class fields, each
  // would be defined (as undefined) and then assigned again, per section of every file read.
  /**
   * Position in the section table of the file this section was read from (0 = the null
   * section). Informative only: the writer numbers sections by their position in the model.
   */
  declare index: number;
  declare name: string;
  /** sh_type (SHT_*). */
  declare type: number;
  /**
   * sh_flags as stored: the same 32 bits as a signed number. `flags` gives them unsigned; the
   * field stays a small integer even with SHF_EXCLUDE (bit 31) set, so that one such section
   * does not turn the field of every section into a boxed double (and deoptimize the code
   * that reads it).
   */
  declare private flagBits: number;
  /** sh_addr: 0 in relocatable objects, the load address in vmlinux. */
  declare addr: bigint;
  declare addralign: number;
  declare entsize: number;
  /** The section sh_link names (string table of a symbol table, symbol table of a relocation
   *  section, the section an SHF_LINK_ORDER section belongs to), or undefined for 0. */
  declare link: ElfSection | undefined;
  /** Raw sh_info, for sections whose sh_info the writer does not derive from the model. */
  declare info: number;
  /** The section sh_info names when SHF_INFO_LINK is set on a section that is not a
   *  relocation section (relocation sections use `target`). */
  declare infoSection: ElfSection | undefined;
  /** Offset in the file it was read from; -1 for sections built in memory. Informative. */
  declare fileOffset: number;

  /** Contents once read or set; until then `readContents` supplies them (see `data`). */
  declare private contents: Buffer | undefined;
  declare private readContents: (() => Buffer) | undefined;
  declare private nobitsSize: number;
  declare private lazySize: number | undefined;

  constructor(init: SectionInit) {
    this.index = -1;
    this.name = init.name;
    this.type = init.type;
    this.flagBits = (init.flags ?? 0) | 0;
    this.addr = init.addr ?? 0n;
    this.addralign = init.addralign ?? 1;
    this.entsize = init.entsize ?? 0;
    this.link = init.link;
    this.info = init.info ?? 0;
    this.infoSection = init.infoSection;
    const data = init.data;
    // No Lazy object per section: the reader makes one section per section header of every
    // file, so the two fields below do its job.
    this.readContents = typeof data === 'function' ? data : undefined;
    this.contents = typeof data === 'function' ? undefined : (data ?? Buffer.alloc(0));
    this.lazySize = typeof data === 'function' ? init.size : undefined;
    this.nobitsSize = init.type === SHT_NOBITS ? (init.size ?? 0) : 0;
    this.fileOffset = -1;
  }

  /** Contents. Read sections return a view of the file buffer (no copy); NOBITS has none. */
  get data(): Buffer {
    if (this.type === SHT_NOBITS) return Buffer.alloc(0);
    return this.contents ?? this.readNow();
  }

  set data(value: Buffer) {
    this.contents = value;
    this.readContents = undefined;
    this.lazySize = undefined;
  }

  /** sh_size: the length of `data`, or the declared size of an SHT_NOBITS section. */
  get size(): number {
    if (this.type === SHT_NOBITS) return this.nobitsSize;
    if (this.contents === undefined && this.lazySize !== undefined) return this.lazySize;
    return this.data.length;
  }

  /** Only SHT_NOBITS sections have a size apart from their data. */
  set size(value: number) {
    if (this.type !== SHT_NOBITS)
      throw new TypeError(`section ${this.name}: set data, not size, of a section with contents`);
    this.nobitsSize = value;
  }

  private readNow(): Buffer {
    const read = this.readContents as () => Buffer;
    const contents = read();
    this.contents = contents;
    this.readContents = undefined;
    return contents;
  }

  /** sh_flags (SHF_*), an unsigned 32-bit number: combine with `(a | b) >>> 0`. */
  get flags(): number {
    return this.flagBits >>> 0;
  }

  set flags(value: number) {
    this.flagBits = value | 0;
  }

  hasFlag(flag: number): boolean {
    return (this.flagBits & flag) !== 0;
  }

  setFlag(flag: number, on = true): void {
    this.flagBits = on ? this.flagBits | flag : this.flagBits & ~flag;
  }
}

/**
 * `init` with a subclass's defaults for the fields it leaves out. Returns `init` itself when
 * nothing is missing (the reader passes complete headers), so that reading does not copy an
 * init object per section.
 */
export function withDefaults(
  init: Omit<SectionInit, 'type'> & { type?: number },
  type: number,
  entsize: number,
  addralign: number,
  flags = 0,
): SectionInit {
  if (
    init.type !== undefined &&
    init.entsize !== undefined &&
    init.addralign !== undefined &&
    init.flags !== undefined
  ) {
    return init as SectionInit;
  }
  return {
    ...init,
    type: init.type ?? type,
    entsize: init.entsize ?? entsize,
    addralign: init.addralign ?? addralign,
    flags: init.flags ?? flags,
  };
}
