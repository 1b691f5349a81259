/**
 * How an ftrace-patchable function starts on x86_64 (gcc `-pg -mfentry`): a 5-byte
 * `call __fentry__` at the entry, optionally after a 4-byte `endbr64` (IBT). Older toolchains
 * with `-mrecord-mcount` nop it out and leave an R_X86_64_NONE relocation behind.
 */
import { R_X86_64_NONE, R_X86_64_PC32, R_X86_64_PLT32 } from './relocations.js';

export const FENTRY_SYMBOL = '__fentry__';

/** The fentry call's relocation must start within this many bytes of the function entry. */
export const FENTRY_CALL_WINDOW = 10;

/** Length of the `call rel32` instruction the relocation sits in (opcode + rel32). */
export const FENTRY_CALL_LENGTH = 5;

/** Opcode of `call rel32`, written over a nopped-out fentry call. */
export const CALL_REL32_OPCODE = 0xe8;

export function isFentryCallRelocation(type: number): boolean {
  return type === R_X86_64_NONE || type === R_X86_64_PC32 || type === R_X86_64_PLT32;
}

/**
 * Call padding (CONFIG_CALL_PADDING, gcc `-fpatchable-function-entry=N,N`): N one-byte NOPs in
 * front of each function, inside the function's own section; the symbol starts after them.
 * objtool names them `__pfx_<fn>` when it runs on the object; an object compiled alone (an IBT
 * kernel defers objtool to the linked vmlinux and module) has the bytes and no symbol.
 */
export const PADDING_NOP = 0x90;

/** The most padding a kernel config asks for (FUNCTION_PADDING_BYTES is at most 64 with call thunks). */
export const MAX_CALL_PADDING = 64;

/** Whether BYTES (what precedes a function in its section) is call padding: only one-byte NOPs. */
export function isCallPadding(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.length <= MAX_CALL_PADDING && bytes.every((b) => b === PADDING_NOP);
}
