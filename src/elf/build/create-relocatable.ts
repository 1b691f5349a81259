import { EM_X86_64, ET_REL, SHT_NULL, SHT_STRTAB } from '../constants.js';
import { ElfFile } from '../model/elf-file.js';
import { ElfSection } from '../model/section.js';
import { ElfSymbol } from '../model/symbol.js';
import { ElfSymbolTable } from '../model/symbol-table.js';

/**
 * An empty x86_64 relocatable object to build into: the null section, `.symtab` (holding
 * the null symbol), `.strtab` and `.shstrtab`. Add sections with `file.sections.push(...)`
 * (or `addSection`) and symbols with `file.symbols.push(...)` (or `addSymbol`).
 */
export function createRelocatable(path: string): ElfFile {
  const nullSection = new ElfSection({ name: '', type: SHT_NULL, addralign: 0 });
  const strtab = new ElfSection({ name: '.strtab', type: SHT_STRTAB });
  const shstrtab = new ElfSection({ name: '.shstrtab', type: SHT_STRTAB });
  const symtab = new ElfSymbolTable({ name: '.symtab', link: strtab }, [new ElfSymbol({ name: '' })]);
  const sections = [nullSection, symtab, strtab, shstrtab];
  sections.forEach((section, i) => (section.index = i));
  const header = { type: ET_REL, machine: EM_X86_64, osabi: 0, abiversion: 0, flags: 0, entry: 0n };
  return new ElfFile(path, header, sections, shstrtab);
}
