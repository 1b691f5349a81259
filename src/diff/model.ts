import type { ElfSection } from '../elf/model/section.js';
import type { ElfSymbol } from '../elf/model/symbol.js';

/**
 * The differ's working view of one object file: sections, symbols and relocations linked to
 * each other, plus the per-element state the stages fill in (twin, status, include, ...).
 *
 * It is built from the shared ELF model (src/elf) by `load.ts`; the stages mutate only the
 * state fields, never the bytes of the original input.
 */

/** Comparison result of an element against its twin in the other object. */
export type Status = 'same' | 'changed' | 'new';

export interface DiffRelocation {
  /** Offset within the section the relocation applies to. */
  offset: number;
  type: number;
  symbol: DiffSymbol;
  addend: number;
  /**
   * For references into mergeable string sections: the referenced string. Two references are
   * equal when their strings are, wherever the linker-to-be put them.
   */
  string?: string;
}

export interface DiffSection {
  /** The section of the shared ELF model this view was made from. */
  readonly source: ElfSection;
  /** Section header index in the input file. */
  readonly index: number;
  readonly name: string;
  readonly type: number;
  /**
   * sh_flags as a signed 32-bit number: SHF_EXCLUDE (bit 31) makes it negative. Test bits with
   * `&`. (Signed so that it is a small integer for every section: see ElfSection.flags.)
   */
  readonly flags: number;
  readonly addralign: number;
  readonly entsize: number;
  readonly link: number;
  readonly info: number;
  /** sh_size (for SHT_NOBITS the data is empty but the size is not). */
  size: number;
  /** Contents (empty for SHT_NOBITS). May be replaced by stages that rebuild a section. */
  data: Uint8Array;

  /** For a relocation section: the section it applies to. */
  base?: DiffSection;
  /** For a section with relocations: its SHT_RELA section. */
  rela?: DiffSection;
  /** Relocation entries (SHT_RELA sections only). */
  relocations: DiffRelocation[];
  /** The STT_SECTION symbol of this section, if any. */
  sectionSymbol?: DiffSymbol;
  /** The function/object symbol this section was made for (-ffunction/-fdata-sections). */
  bundled?: DiffSymbol;

  twin?: DiffSection;
  status: Status;
  include: boolean;
  /** Set by ignore markers and for discarded sections. */
  ignore: boolean;
  /** Member of a SHT_GROUP (COMDAT) section. */
  grouped: boolean;
  /** Cached instruction boundaries (text sections). */
  instructionStarts?: Uint32Array | null;
}

export interface DiffSymbol {
  /** The symbol of the shared ELF model this view was made from. */
  readonly source: ElfSymbol;
  readonly index: number;
  name: string;
  readonly type: number;
  bind: number;
  readonly other: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
  section?: DiffSection;

  /** The `__pfx_<name>` padding symbol in front of a function (CALL_PADDING kernels). */
  prefix?: DiffSymbol;
  /** Split-off child functions (`.cold`, `.part.N`) and their parent. */
  parent?: DiffSymbol;
  children: DiffSymbol[];
  /** The function starts with a call to `__fentry__` (ftrace can patch it). */
  hasFentryCall: boolean;

  twin?: DiffSymbol;
  status: Status;
  include: boolean;
}

export interface DiffObject {
  readonly path: string;
  /** ELF header fields that must agree between the two inputs. */
  readonly header: {
    readonly type: number;
    readonly machine: number;
    readonly osabi: number;
    readonly abiversion: number;
    readonly flags: number;
  };
  /** In section header order, without the null section. */
  readonly sections: DiffSection[];
  /** In symbol table order, including the null symbol at index 0. */
  readonly symbols: DiffSymbol[];
  readonly sectionsByName: Map<string, DiffSection>;
  /** First symbol of each name (as a linker-style lookup would find it). */
  readonly symbolsByName: Map<string, DiffSymbol>;
}

export function isRelaSection(section: DiffSection): boolean {
  return section.type === 4; // SHT_RELA
}

export function isTextSection(section: DiffSection): boolean {
  return section.type === 1 && (section.flags & 0x4) !== 0; // PROGBITS + EXECINSTR
}

export function isDebugSection(section: DiffSection): boolean {
  const name = section.base && isRelaSection(section) ? section.base.name : section.name;
  return name.startsWith('.debug_') || name.startsWith('.eh_frame');
}

/** The function or object a section belongs to, for messages. */
export function sectionOwnerName(section: DiffSection): string {
  const base = isRelaSection(section) && section.base ? section.base : section;
  return base.bundled?.name ?? base.name;
}
