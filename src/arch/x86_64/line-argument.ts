/**
 * x86_64 facts for the differ's guess at `__LINE__` drift (src/diff/line-drift.ts, used only
 * when told the line numbers were not kept): a line number is passed in an argument
 * register (`%esi`, `%edx`, `%ecx`, `%r8d`, `%r9d` — 2nd to 6th argument) and loaded with
 * `mov $imm32, %reg` (opcode 0xb8 + register, with REX.B for r8-r15).
 */
const MOV_IMM32 = 0xb8;
const REX_B = 0x41;
const ESI = 6;
const EDX = 2;
const ECX = 1;
const R8D = 0; // with REX.B
const R9D = 1; // with REX.B

/**
 * If the instruction bytes load a 32-bit immediate into an argument register, that register's
 * name; otherwise undefined.
 */
export function immediateArgumentRegister(instruction: Uint8Array): string | undefined {
  const [first, second] = instruction;
  if (instruction.length === 5) {
    if (first === MOV_IMM32 + ESI) return 'esi';
    if (first === MOV_IMM32 + EDX) return 'edx';
    if (first === MOV_IMM32 + ECX) return 'ecx';
  }
  if (instruction.length === 6 && first === REX_B) {
    if (second === MOV_IMM32 + R8D) return 'r8d';
    if (second === MOV_IMM32 + R9D) return 'r9d';
  }
  return undefined;
}
