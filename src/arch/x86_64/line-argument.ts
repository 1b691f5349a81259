/**
 * x86_64 calling convention facts for `__LINE__` drift detection: the line number is the
 * second (`%esi`) or third (`%edx`) argument of the reporting function, loaded with
 * `mov $imm32, %reg` (opcode 0xb8 + register number).
 */
export const MOV_IMM32_TO_ESI = 0xbe;
export const MOV_IMM32_TO_EDX = 0xba;

export const LINE_ARGUMENT_MOV_OPCODES: ReadonlySet<number> = new Set([MOV_IMM32_TO_ESI, MOV_IMM32_TO_EDX]);
