import { GROUP_ENTRY_SIZE, SHT_GROUP } from '../constants.js';
import { Lazy } from './lazy.js';
import { ElfSection, withDefaults, type SectionInit } from './section.js';
import type { ElfSymbol } from './symbol.js';

/** The decoded contents of an SHT_GROUP section. */
export interface GroupContents {
  /** The flag word (GRP_COMDAT). */
  flags: number;
  /** The symbol naming the group (sh_info). */
  signature: ElfSymbol;
  /** Member sections, in order. */
  members: ElfSection[];
}

/**
 * A section group (SHT_GROUP), e.g. a COMDAT group of an inline C++ function or of
 * `__x86.get_pc_thunk`. The writer encodes it from `group`, remapping indexes.
 */
export class ElfGroupSection extends ElfSection {
  private readonly decoded: Lazy<GroupContents>;

  constructor(init: Omit<SectionInit, 'type'> & { type?: number }, group: GroupContents | (() => GroupContents)) {
    super(withDefaults(init, SHT_GROUP, GROUP_ENTRY_SIZE, 4));
    this.decoded = typeof group === 'function' ? new Lazy(group) : Lazy.of(group);
  }

  get group(): GroupContents {
    return this.decoded.get();
  }

  set group(value: GroupContents) {
    this.decoded.set(value);
  }

  get isDecoded(): boolean {
    return this.decoded.isResolved;
  }
}
