import type { ElfSymbol } from './symbol.js';

/**
 * One RELA entry, with its symbol resolved to the model's symbol object.
 *
 * - `offset`: where the relocation applies, relative to the start of the target section
 *   (r_offset in a relocatable object; r_offset - sh_addr in an executable), a number.
 *   An all-zero R_X86_64_NONE entry (vmlinux tables sorted by sorttable) has offset 0.
 * - `type`: r_type (R_X86_64_*, see src/arch/x86_64/relocations.ts).
 * - `symbol`: the symbol r_sym names; the null symbol (index 0) for r_sym 0.
 * - `addend`: r_addend, a signed bigint (exact for the full 64-bit range).
 */
export interface Relocation {
  offset: number;
  type: number;
  symbol: ElfSymbol;
  addend: bigint;
}

/**
 * Makes a caller's own object from the fields of one relocation (ElfRelocationSection.mapEntries):
 * the addend as a number, exact up to 2^53.
 */
export type RelocationMaker<T> = (offset: number, type: number, symbol: ElfSymbol, addend: number) => T;
