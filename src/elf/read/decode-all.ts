import type { ElfFile } from '../model/elf-file.js';
import { ElfGroupSection } from '../model/group-section.js';
import { ElfRelocationSection } from '../model/relocation-section.js';
import { ElfSymbolTable } from '../model/symbol-table.js';

/**
 * Decodes every lazily decoded part of a file just read (contents, symbol tables, relocations,
 * groups, symbol offsets), so that any malformation surfaces now as an ElfFormatError.
 * Returns counts, handy for tests and the dump command.
 */
export function decodeAll(file: ElfFile): { sections: number; symbols: number; relocations: number; groups: number } {
  let symbols = 0;
  let relocations = 0;
  let groups = 0;
  for (const section of file.sections) {
    void section.data;
    if (section instanceof ElfSymbolTable) symbols += section.symbols.length;
    else if (section instanceof ElfRelocationSection) relocations += section.relocations.length;
    else if (section instanceof ElfGroupSection) {
      void section.group;
      groups += 1;
    }
  }
  return { sections: file.sections.length, symbols, relocations, groups };
}
