/**
 * A reader of the DWARF of ELF objects (.debug_info, DWARF 2 to 5 as gcc writes it) for the
 * layouts of structs and unions and the types functions use. Import from `src/dwarf/index.js`.
 */
import type { ElfSection } from '../elf/model/section.js';
import { DwarfInfo } from './info.js';
import { Layouts } from './layouts.js';
import { dwarfSections } from './sections.js';
import { TypeNames } from './type-names.js';
import { UsedTypes } from './used-types.js';

export { DwarfFormatError } from './errors.js';
export { Die, DwarfInfo } from './info.js';
export type { Field, Layout } from './layouts.js';
export { Layouts } from './layouts.js';
export { changedLayouts, type ChangedLayout } from './compare-layouts.js';
export { layoutChanges, summarizeChanges } from './layout-changes.js';
export { TypeNames } from './type-names.js';
export { UsedTypes, sourceName } from './used-types.js';

export interface Dwarf {
  info: DwarfInfo;
  names: TypeNames;
  layouts: Layouts;
  used: UsedTypes;
}

/**
 * The DWARF of a file given by its sections, or undefined when it has none (no .debug_info).
 * Throws DwarfFormatError when it cannot be read.
 */
export function readDwarf(sections: readonly ElfSection[]): Dwarf | undefined {
  const found = dwarfSections(sections);
  if (!found) return undefined;
  const info = new DwarfInfo(found);
  const names = new TypeNames(info);
  return { info, names, layouts: new Layouts(info, names), used: new UsedTypes(info) };
}
