/**
 * Indirect branch tracking (CONFIG_X86_KERNEL_IBT) on x86_64: an indirect call or jump must land
 * on an ENDBR64 instruction, or the CPU raises #CP ("Missing ENDBR"). gcc (-fcf-protection=branch)
 * puts one at the entry of every function that may be reached indirectly: every global function,
 * and a static one whose address its file takes; a static function only called directly has
 * none. objtool then lists the entry ENDBRs whose address nothing in vmlinux (or in a module)
 * takes, and the kernel overwrites them at boot (or when the module loads): they are "sealed".
 *
 * The list: section `.ibt_endbr_seal`, an array of s32, each the distance from the entry itself
 * to a sealed ENDBR. vmlinux's linker script bounds it with `__ibt_endbr_seal` and
 * `__ibt_endbr_seal_end` (it sits in the init region, freed after boot; the ELF file keeps it).
 * In a module (ET_REL) the entries are zero with an R_X86_64_PC32 relocation each against the
 * sealed place, so the place is the relocation's symbol plus its addend.
 */

/** The `endbr64` instruction. */
export const ENDBR64: Readonly<Buffer> = Buffer.from([0xf3, 0x0f, 0x1e, 0xfa]);

/** The section of sealed ENDBR sites, and the symbols vmlinux's linker script puts around it. */
export const IBT_SEAL = {
  name: '.ibt_endbr_seal',
  vmlinuxBounds: ['__ibt_endbr_seal', '__ibt_endbr_seal_end'],
  /** One s32 per site, relative to the entry's own address. */
  entrySize: 4,
} as const;

/** Whether CODE holds an ENDBR64 at OFFSET. */
export function startsWithEndbr(code: Buffer, offset: number): boolean {
  return offset >= 0 && offset + ENDBR64.length <= code.length && ENDBR64.equals(code.subarray(offset, offset + 4));
}

/**
 * The addresses of the sealed ENDBRs a linked seal list names: ENTRIES are the list's bytes,
 * whose first entry is at address START. Undefined when the bytes are not whole entries.
 */
export function sealedAddresses(entries: Buffer, start: bigint): bigint[] | undefined {
  if (entries.length % IBT_SEAL.entrySize !== 0) return undefined;
  const addresses: bigint[] = [];
  for (let at = 0; at < entries.length; at += IBT_SEAL.entrySize) {
    addresses.push(BigInt.asUintN(64, start + BigInt(at + entries.readInt32LE(at))));
  }
  return addresses;
}
