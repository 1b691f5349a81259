/**
 * `__LINE__` drift: adding lines to a file shifts the line numbers that WARN(), might_sleep()
 * and friends pass as an immediate operand in every function further down. Such a function did
 * not change; this stage recognises the pattern and keeps it out of the patch.
 *
 * A text section counts as "line number only" when its relocations are identical, it has the
 * same size, and each instruction that differs is a `mov $imm32, %esi|%edx` (the line argument)
 * followed — after any string and once-flag references — by a call to one of the reporting
 * functions below.
 */
import { decodeInstruction } from '../arch/x86_64/insn-length.js';
import { LINE_ARGUMENT_MOV_OPCODES } from '../arch/x86_64/line-argument.js';
import { isRelaSection, isTextSection, type DiffSection } from './model.js';

/** Functions that take `__LINE__` as an argument (kernel 3.10 .. 6.x spellings). */
export const LINE_REPORTING_FUNCTIONS: ReadonlySet<string> = new Set([
  '__warn_printk',
  '__might_sleep',
  '___might_sleep',
  '__might_resched',
  '__might_fault',
  'printk',
  '_printk',
  'lockdep_rcu_suspicious',
]);

function isLineReportingCall(name: string): boolean {
  return name.startsWith('warn_slowpath_') || LINE_REPORTING_FUNCTIONS.has(name);
}

/** Static flags (`__warned.N`, `__already_done.N`) that sit between the mov and the call. */
function isOnceFlag(name: string): boolean {
  return name.startsWith('__warned.') || name.startsWith('__already_done.');
}

/** Whether the first meaningful reference after `from` is a line-reporting call. */
function followedByLineReportingCall(rela: DiffSection, from: number): boolean {
  for (const relocation of rela.relocations) {
    if (relocation.offset < from) continue;
    if (relocation.string !== undefined) continue;
    if (isOnceFlag(relocation.symbol.name)) continue;
    return isLineReportingCall(relocation.symbol.name);
  }
  return false;
}

export function lineNumberChangeOnly(section: DiffSection): boolean {
  const twin = section.twin;
  if (section.status !== 'changed' || isRelaSection(section) || !isTextSection(section)) return false;
  if (!twin || section.size !== twin.size || !section.rela || section.rela.status !== 'same') return false;

  const before = twin.data;
  const after = section.data;
  let sawLineChange = false;
  for (let offset = 0; offset < after.length; ) {
    let a;
    let b;
    try {
      a = decodeInstruction(before, offset);
      b = decodeInstruction(after, offset);
    } catch {
      return false;
    }
    if (a.length !== b.length) return false;
    const length = a.length;
    if (Buffer.compare(before.subarray(offset, offset + length), after.subarray(offset, offset + length)) !== 0) {
      if (a.map !== 1 || b.map !== 1) return false;
      if (!LINE_ARGUMENT_MOV_OPCODES.has(a.opcode) || !LINE_ARGUMENT_MOV_OPCODES.has(b.opcode) || a.opcode !== b.opcode) {
        return false;
      }
      if (!followedByLineReportingCall(section.rela, offset + length)) return false;
      sawLineChange = true;
    }
    offset += length;
  }
  return sawLineChange;
}
