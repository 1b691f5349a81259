import {
  ET_REL,
  isSpecialSectionIndex,
  STB_LOCAL,
  STT_NOTYPE,
  STT_SECTION,
  STV_DEFAULT,
  SHN_UNDEF,
  SHN_XINDEX,
} from '../constants.js';
import type { ElfSection } from './section.js';

export interface SymbolInit {
  name: string;
  value?: bigint;
  size?: number;
  type?: number;
  bind?: number;
  /** Full st_other byte (visibility in the low two bits). */
  other?: number;
  /** The section the symbol is defined in; leave undefined for UNDEF/ABS/COMMON/LIVEPATCH. */
  section?: ElfSection | undefined;
  /** st_shndx when `section` is undefined (SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH). */
  shndx?: number;
}

/**
 * One symbol table entry.
 *
 * Where a symbol lives is `section` when it is defined in a section, otherwise `shndx` holds
 * the special index (SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH). To turn a symbol into a
 * livepatch symbol: `sym.section = undefined; sym.shndx = SHN_LIVEPATCH`. The writer refuses
 * a symbol that has a section and a special shndx at the same time (SHN_XINDEX excepted: a
 * symbol read from a file with extended section numbering keeps it along with its section).
 *
 * `value` is a bigint because vmlinux addresses (0xffffffff8...) do not fit a double; in a
 * relocatable object it is the offset in `section` (see `offset`).
 */
export class ElfSymbol {
  // Fields are `declare`d and set in the constructor only: emitted as ES2022 class fields, each
  // would be defined (as undefined) and then assigned again, per symbol of every file read.
  /** Position in the symbol table it was read from (0 = the null symbol). Informative. */
  declare index: number;
  declare name: string;
  /** st_value. */
  declare value: bigint;
  /** st_size. */
  declare size: number;
  /** STT_* */
  declare type: number;
  /** STB_* */
  declare bind: number;
  /** Full st_other byte. */
  declare other: number;
  declare section: ElfSection | undefined;
  /**
   * st_shndx as read (SHN_XINDEX when the index is in the SHT_SYMTAB_SHNDX section); for
   * symbols with a `section` the writer replaces it by the section's new index.
   */
  declare shndx: number;
  /** e_type of the file this symbol belongs to, for `offset` (ET_REL for built symbols). */
  declare fileType: number;

  constructor(init: SymbolInit) {
    this.index = -1;
    this.name = init.name;
    this.value = init.value ?? 0n;
    this.size = init.size ?? 0;
    this.type = init.type ?? STT_NOTYPE;
    this.bind = init.bind ?? STB_LOCAL;
    this.other = init.other ?? STV_DEFAULT;
    this.section = init.section;
    this.shndx = init.shndx ?? SHN_UNDEF;
    this.fileType = ET_REL;
  }

  /** STV_* (low two bits of st_other). */
  get visibility(): number {
    return this.other & 3;
  }

  set visibility(value: number) {
    this.other = (this.other & ~3) | (value & 3);
  }

  /** The name, or for a section symbol (whose st_name is normally empty) its section's name. */
  get displayName(): string {
    if (this.name === '' && this.type === STT_SECTION && this.section !== undefined) return this.section.name;
    return this.name;
  }

  get isLocal(): boolean {
    return this.bind === STB_LOCAL;
  }

  /** Defined nowhere: UNDEF (or LIVEPATCH, resolved by the livepatch core). */
  get isUndefined(): boolean {
    return this.section === undefined && this.shndx === SHN_UNDEF;
  }

  /**
   * The symbol's position inside its section as a number: st_value in a relocatable object,
   * st_value - sh_addr in an executable. Throws for symbols without a section.
   */
  get offset(): number {
    const section = this.section;
    if (section === undefined) throw new TypeError(`symbol ${this.name} is not defined in a section`);
    const relative = this.fileType === ET_REL ? this.value : this.value - section.addr;
    return Number(relative);
  }

  /** True when `shndx` names a real section index, directly or through SHN_XINDEX (as read from the file). */
  get hasSectionIndex(): boolean {
    return this.shndx === SHN_XINDEX || !isSpecialSectionIndex(this.shndx);
  }
}
