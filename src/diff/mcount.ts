/**
 * Regenerate the ftrace call-site table (`__mcount_loc`) for the patch's functions: one
 * absolute address per function that starts with an `__fentry__` call, as recordmcount would
 * have produced for the patch module. Old toolchains nopped the call out (R_X86_64_NONE); such
 * a call is restored so ftrace (and so the livepatch core) can hook the new function.
 */
import { STT_FUNC } from '../elf/constants.js';
import { R_X86_64_64, R_X86_64_NONE, R_X86_64_PC32 } from '../arch/x86_64/relocations.js';
import { CALL_REL32_OPCODE, FENTRY_CALL_LENGTH, FENTRY_SYMBOL } from '../arch/x86_64/ftrace.js';
import { UserError } from '../util/errors.js';
import type { DiffObject, DiffRelocation, DiffSymbol } from './model.js';

export interface McountSite {
  function: DiffSymbol;
  /** Offset of the call instruction from the function symbol. */
  addend: number;
}

function fentryRelocation(symbol: DiffSymbol): DiffRelocation | undefined {
  return symbol.section?.rela?.relocations
    .filter((relocation) => relocation.offset >= symbol.value && relocation.symbol.name === FENTRY_SYMBOL)
    .sort((a, b) => a.offset - b.offset)[0];
}

/** Call sites of the included new/changed functions; restores nopped-out calls in place. */
export function mcountSites(patched: DiffObject): McountSite[] {
  const sites: McountSite[] = [];
  for (const symbol of patched.symbols) {
    if (!symbol.include || symbol.type !== STT_FUNC || symbol.status === 'same' || !symbol.hasFentryCall) continue;
    const section = symbol.section;
    if (!section?.include) continue;
    const relocation = fentryRelocation(symbol);
    if (!relocation) continue;
    // The relocation covers the rel32 of `call`, one byte into the instruction.
    const call = relocation.offset - 1;
    if (relocation.type === R_X86_64_NONE) {
      const code = Uint8Array.from(section.data);
      if (code[call] !== 0x0f)
        throw new UserError(`${symbol.name}: unexpected instruction where the fentry call was nopped out`);
      code[call] = CALL_REL32_OPCODE;
      code.fill(0, call + 1, call + FENTRY_CALL_LENGTH);
      section.data = code;
      relocation.type = R_X86_64_PC32;
    }
    sites.push({ function: symbol, addend: call - symbol.value });
  }
  return sites;
}

export const MCOUNT_RELOCATION_TYPE = R_X86_64_64;
