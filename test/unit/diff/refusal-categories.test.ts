import { describe, expect, it } from 'vitest';
import { refusalCategory } from '../../../src/diff/refusal-categories.js';
import { failureReport } from '../../../src/report/failure-report.js';
import { RefusedError, UserError } from '../../../src/util/errors.js';

describe('refusal categories', () => {
  it.each([
    ['changed section .init.text not selected for inclusion (boot-time __init/__exit code cannot be livepatched)', 'init-code'],
    ['symbol panic_timeout moved from section .bss.panic_timeout to .data.panic_timeout', 'existing-data'],
    ['function __do_sys_newuname changed but has no ftrace entry (__fentry__ call) in the original, so it cannot be patched', 'no-ftrace-entry'],
    ["fs/minix/itree_v2.o: cannot tell which of the 2 symbols named 'block_to_path.isra.0' in minix the patch refers to", 'ambiguous-symbol'],
    ['something nobody foresaw', 'other'],
  ])('%s -> %s', (reason, category) => {
    expect(refusalCategory(reason)).toBe(category);
  });

  it('are in the --json report of a refused run, per reason and object', () => {
    const refused = new RefusedError('the patch cannot be live-patched safely', [{ object: 'kernel/panic.o', reason: 'symbol x moved from section .bss.x to .data.x', category: 'existing-data' }]);
    expect(failureReport(refused)).toEqual({
      outcome: 'refused', exitCode: 2, message: 'the patch cannot be live-patched safely',
      reasons: [{ object: 'kernel/panic.o', reason: 'symbol x moved from section .bss.x to .data.x', category: 'existing-data' }],
    });
    expect(failureReport(new UserError('no functional change in fs/proc/cmdline.o', { exitCode: 3 }))).toMatchObject({ outcome: 'no-change', exitCode: 3, reasons: [] });
    expect(failureReport(new UserError("x.o: cannot tell which of the 2 symbols named 'f'", { exitCode: 2 })).reasons[0]?.category).toBe('ambiguous-symbol');
  });
});
