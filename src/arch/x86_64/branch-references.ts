/**
 * How a relocation against a function refers to it, for indirect branch tracking: a direct
 * `call`, `jmp` or conditional jump needs no ENDBR at the target; anything else (a pointer in
 * data, `lea func(%rip)`, `mov $func`) takes the function's address, which an indirect call may
 * use. Tables of code locations the kernel reads without branching to them (the same list objtool
 * skips when it decides which ENDBRs to seal) take no address.
 */
import { R_X86_64_PC32, R_X86_64_PLT32 } from './relocations.js';

const CALL_REL32 = 0xe8;
const JMP_REL32 = 0xe9;
/** `jcc rel32` is 0x0f 0x80+cc. */
const JCC_REL32_ESCAPE = 0x0f;

/**
 * Whether the 4-byte PC-relative relocation of TYPE at OFFSET of the code CODE is the operand of
 * a direct call or jump. A RIP-relative memory operand (lea, mov) is preceded by its ModRM byte,
 * which is 00xxx101 and so never one of these opcodes.
 */
export function isDirectBranch(code: Buffer, offset: number, type: number): boolean {
  if (type !== R_X86_64_PLT32 && type !== R_X86_64_PC32) return false;
  const before = offset >= 1 ? code[offset - 1] : undefined;
  if (before === CALL_REL32 || before === JMP_REL32) return true;
  return offset >= 2 && code[offset - 2] === JCC_REL32_ESCAPE && before !== undefined && (before & 0xf0) === 0x80;
}

/** Non-code sections whose entries point at code without meaning to branch there. */
const CODE_TABLES: ReadonlySet<string> = new Set([
  '.altinstructions',
  '.ibt_endbr_seal',
  '.orc_unwind_ip',
  '.parainstructions',
  '.retpoline_sites',
  '.return_sites',
  '.call_sites',
  '.smp_locks',
  '.static_call_sites',
  '_error_injection_whitelist',
  '_kprobe_blacklist',
  '__bug_table',
  '__ex_table',
  '__jump_table',
  '__mcount_loc',
  '.kcfi_traps',
]);

/** Whether references from the non-code section NAME are not address-taking (see CODE_TABLES). */
export function isCodeTable(name: string): boolean {
  if (CODE_TABLES.has(name) || name.startsWith('.debug') || name.includes('__patchable_function_entries')) return true;
  // What a .discard section names is dropped at link time, except the explicit "keep this ENDBR".
  return name.startsWith('.discard') && name !== '.discard.ibt_endbr_noseal';
}
