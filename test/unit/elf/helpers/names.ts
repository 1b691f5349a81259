import {
  SHF_ALLOC,
  SHF_COMPRESSED,
  SHF_EXCLUDE,
  SHF_EXECINSTR,
  SHF_GROUP,
  SHF_INFO_LINK,
  SHF_LINK_ORDER,
  SHF_MERGE,
  SHF_OS_NONCONFORMING,
  SHF_STRINGS,
  SHF_TLS,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_LIVEPATCH,
  SHN_UNDEF,
} from '../../../../src/elf/index.js';

// The spellings readelf uses, to compare the model with readelf's view of the same file.

const FLAG_LETTERS: [number, string][] = [
  [SHF_WRITE, 'W'],
  [SHF_ALLOC, 'A'],
  [SHF_EXECINSTR, 'X'],
  [SHF_MERGE, 'M'],
  [SHF_STRINGS, 'S'],
  [SHF_INFO_LINK, 'I'],
  [SHF_LINK_ORDER, 'L'],
  [SHF_OS_NONCONFORMING, 'O'],
  [SHF_GROUP, 'G'],
  [SHF_TLS, 'T'],
  [SHF_COMPRESSED, 'C'],
  [SHF_EXCLUDE, 'E'],
];

export function flagLetters(flags: number): string {
  let letters = '';
  for (const [flag, letter] of FLAG_LETTERS) if ((flags & flag) >>> 0 !== 0) letters += letter;
  if ((flags & 0x0ff00000) !== 0) letters += 'o';
  return letters;
}

export const SECTION_TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'PROGBITS',
  2: 'SYMTAB',
  3: 'STRTAB',
  4: 'RELA',
  5: 'HASH',
  6: 'DYNAMIC',
  7: 'NOTE',
  8: 'NOBITS',
  9: 'REL',
  11: 'DYNSYM',
  14: 'INIT_ARRAY',
  15: 'FINI_ARRAY',
  16: 'PREINIT_ARRAY',
  17: 'GROUP',
  18: 'SYMTAB SECTION INDICES',
};

export const SYMBOL_TYPE_NAMES: Record<number, string> = {
  0: 'NOTYPE',
  1: 'OBJECT',
  2: 'FUNC',
  3: 'SECTION',
  4: 'FILE',
  5: 'COMMON',
  6: 'TLS',
  10: 'IFUNC',
};
export const SYMBOL_BIND_NAMES: Record<number, string> = { 0: 'LOCAL', 1: 'GLOBAL', 2: 'WEAK', 10: 'UNIQUE' };
export const VISIBILITY_NAMES: Record<number, string> = { 0: 'DEFAULT', 1: 'INTERNAL', 2: 'HIDDEN', 3: 'PROTECTED' };

export function ndxName(shndx: number): string {
  if (shndx === SHN_UNDEF) return 'UND';
  if (shndx === SHN_ABS) return 'ABS';
  if (shndx === SHN_COMMON) return 'COM';
  if (shndx === SHN_LIVEPATCH) return 'OS [0xff20]';
  return String(shndx);
}
