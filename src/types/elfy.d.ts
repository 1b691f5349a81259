// Types for the parts of the `elfy` package (CommonJS, untyped) that src/elf/read uses.
// elfy decodes the ELF header, program headers and section headers of a whole-file buffer.
// Known quirks (see src/elf/read/elfy-adapter.ts): 64-bit fields are JS numbers (lossy above
// 2^53), ELF64 sh_addralign/sh_entsize are read from the wrong offsets, sh_flags become a
// name → true map, and every failure is a plain Error or an assertion.
declare module 'elfy' {
  export interface ElfyHeader {
    class: string;
    endian: string;
    osabi: string | undefined;
    abiversion: number | undefined;
    type: string | undefined;
    machine: string | undefined;
    version: number;
    entry: number;
    phoff: number;
    shoff: number;
    flags: number;
    ehsize: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
    body: ElfyBody;
  }

  export interface ElfyBody {
    programs: ElfyProgram[];
    sections: ElfySection[];
  }

  export interface ElfyProgram {
    type: string | number;
    offset: number;
    vaddr: number;
    paddr: number;
    filesz: number;
    memsz: number;
    flags: Record<string, true>;
    align: number;
    data: Buffer;
  }

  export interface ElfySection {
    /** The name, already looked up in the section-name string table. */
    name: string;
    /** A lower-case type name ('progbits', 'rela', ...) or the number when elfy has no name. */
    type: string | number;
    flags: Record<string, true>;
    addr: number;
    off: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
    data: Buffer;
  }

  export const constants: {
    sectType: Record<number, string>;
    [table: string]: Record<number, string>;
  };

  export function parse(buffer: Buffer): ElfyHeader;

  const elfy: { parse: typeof parse; constants: typeof constants };
  export default elfy;
}
