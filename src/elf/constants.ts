// Generic ELF64 constants (System V gABI) used by the reader and the writer.
// Architecture-specific values (relocation types) live in src/arch/x86_64/.

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;

/** e_type */
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

export const EM_X86_64 = 62;

/** Fixed ELF64 record sizes. */
export const ELF64_EHDR_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ELF64_SYM_SIZE = 24;
export const ELF64_RELA_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const GROUP_ENTRY_SIZE = 4;
/** One entry of an SHT_SYMTAB_SHNDX section (an Elf64_Word). */
export const SYMTAB_SHNDX_ENTRY_SIZE = 4;

/** sh_type */
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_GNU_HASH = 0x6ffffff6;
export const SHT_X86_64_UNWIND = 0x70000001;

/** sh_flags. All defined flags fit in 32 bits; the model keeps sh_flags as an unsigned 32-bit number. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_LINK_ORDER = 0x80;
export const SHF_OS_NONCONFORMING = 0x100;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_COMPRESSED = 0x800;
/** The Elf64_Chdr in front of an SHF_COMPRESSED section's data (ch_type, ch_reserved, ch_size, ch_addralign), and its ch_type values. */
export const ELF64_CHDR_SIZE = 24;
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;
/** Linux livepatch: a relocation section the livepatch core applies (include/uapi/linux/elf.h). */
export const SHF_RELA_LIVEPATCH = 0x00100000;
/** Linux: a section whose memory is made read-only after init. */
export const SHF_RO_AFTER_INIT = 0x00200000;
export const SHF_EXCLUDE = 0x80000000;

/** Group section flag word. */
export const GRP_COMDAT = 0x1;

/** Special section indexes. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
/** Linux livepatch: a symbol the livepatch core resolves (include/uapi/linux/elf.h). */
export const SHN_LIVEPATCH = 0xff20;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** Symbol binding (high nibble of st_info). */
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

/** Symbol type (low nibble of st_info). */
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;

/** Symbol visibility (low two bits of st_other). */
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

/** True for st_shndx values that are not a section index (UNDEF or reserved range). */
export function isSpecialSectionIndex(shndx: number): boolean {
  return shndx === SHN_UNDEF || shndx >= SHN_LORESERVE;
}
