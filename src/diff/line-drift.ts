/**
 * `__LINE__` drift: adding lines to a file shifts the line numbers that WARN(), might_sleep()
 * and friends pass as an immediate operand in every function further down. Objects built
 * without line keeping (kpatch-build's, or by hand) show such functions as changed although
 * their source did not change. In the mode `guessed` this stage recognises the pattern, as
 * kpatch-build does, and keeps such functions out of the patch; in the mode `kept` (objects
 * whose patched build kept every unchanged line's number with `#line` directives, as this
 * tool's own build does: src/patches/line-keeping.ts) it does nothing, and every difference is
 * a change.
 *
 * A text section counts as "line number only" when its relocations are identical, it has the
 * same size, and each instruction that differs loads an immediate into an argument register
 * (the line argument) and is followed — after any string, `__func__` and once-flag
 * references — by a call to one of the reporting functions below.
 *
 * The guess's blind spot: a real change of a constant passed to one of these functions
 * (`pr_info("%d", 1)` -> `pr_info("%d", 2)`, a changed WARN argument) looks exactly the same,
 * and is taken for a line number.
 */
import { decodeInstruction } from '../arch/x86_64/insn-length.js';
import { immediateArgumentRegister } from '../arch/x86_64/line-argument.js';
import { isRelaSection, isTextSection, type DiffSection } from './model.js';

/**
 * How the differ reads a difference in a `__LINE__`-like immediate: `kept`, the objects' line
 * numbers were kept (every difference is a change); `guessed`, they were not, and a changed
 * immediate before a line-reporting call is taken for a line number (see above).
 */
export const LINE_NUMBER_MODES = ['kept', 'guessed'] as const;
export type LineNumbers = (typeof LINE_NUMBER_MODES)[number];

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
  // btrfs reports errors with the caller's __LINE__.
  '__btrfs_abort_transaction',
  '__btrfs_handle_fs_error',
  '__btrfs_panic',
]);

function isLineReportingCall(name: string): boolean {
  return name.startsWith('warn_slowpath_') || LINE_REPORTING_FUNCTIONS.has(name);
}

/** Static locals (`__warned.N`, `__already_done.N`, `__func__.N`) loaded between the mov and the call. */
function isCallSiteStatic(name: string): boolean {
  return name.startsWith('__warned.') || name.startsWith('__already_done.') || name.startsWith('__func__.');
}

/** Whether the first meaningful reference after `from` is a line-reporting call. */
function followedByLineReportingCall(rela: DiffSection, from: number): boolean {
  for (const relocation of rela.relocations) {
    if (relocation.offset < from) continue;
    if (relocation.string !== undefined) continue;
    if (isCallSiteStatic(relocation.symbol.name)) continue;
    return isLineReportingCall(relocation.symbol.name);
  }
  return false;
}

/** Whether SECTION (changed) differs from its twin only in line numbers passed to reporting calls. */
export function lineNumberChangeOnly(section: DiffSection): boolean {
  const twin = section.twin;
  if (section.status !== 'changed' || isRelaSection(section) || !isTextSection(section)) return false;
  if (!twin || section.size !== twin.size || !section.rela || section.rela.status !== 'same') return false;

  const before = twin.data;
  const after = section.data;
  let sawLineChange = false;
  for (let offset = 0; offset < after.length;) {
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
      const old = before.subarray(offset, offset + length);
      const changed = after.subarray(offset, offset + length);
      const register = immediateArgumentRegister(old);
      if (register === undefined || register !== immediateArgumentRegister(changed)) return false;
      if (!followedByLineReportingCall(section.rela, offset + length)) return false;
      sawLineChange = true;
    }
    offset += length;
  }
  return sawLineChange;
}
