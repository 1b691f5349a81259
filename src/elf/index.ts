// The shared ELF model: read ELF64 x86_64 files, edit the model, write relocatable objects.
//
// Number representation (one rule everywhere):
// - offsets, sizes, counts, indexes, flags: number (checked to be exact when read);
// - addresses and symbol values (st_value, sh_addr, e_entry): bigint (vmlinux addresses are
//   0xffffffff8..., beyond 2^53); `symbol.offset` gives the position inside its section;
// - relocation addends: bigint (signed 64-bit, exact); relocation offsets: number, relative
//   to the target section.

export * from './constants.js';
export { ElfFormatError, ElfModelError } from './errors.js';
export { ElfFile, type ElfHeader } from './model/elf-file.js';
export { ElfSection, type SectionInit } from './model/section.js';
export { ElfSymbol, type SymbolInit } from './model/symbol.js';
export { ElfSymbolTable } from './model/symbol-table.js';
export { ElfRelocationSection } from './model/relocation-section.js';
export { ElfGroupSection, type GroupContents } from './model/group-section.js';
export type { Relocation, RelocationMaker } from './model/relocation.js';
export { readElf, readElfSync, parseElf, WHOLE_FILE_LIMIT, type ElfSource, type ReadOptions } from './read/read-elf.js';
export { decodeAll } from './read/decode-all.js';
export { readStringList, readModinfo, encodeStringList, type ModinfoEntry } from './read/string-lists.js';
export { writeRelocatable } from './write/write-relocatable.js';
export { createRelocatable } from './build/create-relocatable.js';
