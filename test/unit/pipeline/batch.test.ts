import { describe, expect, it } from 'vitest';
import {
  batchExitCode,
  batchModuleNames,
  formatBatchOutcomes,
  type BatchOutcome,
} from '../../../src/pipeline/batch.js';
import { exitCodeOf } from '../../../src/util/outcomes.js';

const outcome = (what: BatchOutcome['outcome'], extra: Partial<BatchOutcome> = {}): BatchOutcome => ({
  patch: `${what}.patch`,
  module: `livepatch-${what}`,
  outcome: what,
  exitCode: exitCodeOf(what),
  seconds: 1,
  slot: 0,
  ...extra,
});

describe('batch', () => {
  it('names each module after its patch, and tells apart two patches of the same name within 55 characters', () => {
    const long = `${'x'.repeat(60)}.patch`;
    const names = batchModuleNames(['a/fix.patch', 'b/fix.patch', 'c/fix.patch', `a/${long}`, `b/${long}`]);
    expect(names.slice(0, 3)).toEqual(['livepatch-fix', 'livepatch-fix-2', 'livepatch-fix-3']);
    expect(names[3]).toHaveLength(55);
    expect(names[4]).toMatch(/^livepatch-x+-2$/);
    expect(names[4]).toHaveLength(55);
  });

  it('exits 0 only when every patch was built; a failure outweighs a refusal, which outweighs no change', () => {
    expect(batchExitCode([outcome('built'), outcome('built')])).toBe(0);
    expect(batchExitCode([outcome('built'), outcome('no-change')])).toBe(3);
    expect(batchExitCode([outcome('no-change'), outcome('refused')])).toBe(2);
    expect(batchExitCode([outcome('refused'), outcome('failed'), outcome('built')])).toBe(1);
    // Ranked worst first: a bug of the tool, bad input, a compile failure, a refusal, no change.
    expect(batchExitCode([outcome('compile-failed'), outcome('refused')])).toBe(6);
    expect(batchExitCode([outcome('compile-failed'), outcome('failed')])).toBe(1);
    expect(batchExitCode([outcome('failed'), outcome('internal-error')])).toBe(70);
  });

  it('lists each patch with its reasons and counts them', () => {
    const text = formatBatchOutcomes([
      outcome('built', { output: '/o/livepatch-built.ko' }),
      outcome('refused', {
        failure: {
          schemaVersion: 1,
          outcome: 'refused',
          exitCode: 2,
          message: 'm',
          reasons: [{ object: 'x.o', reason: 'changed section .init.text', category: 'init-code' }],
        },
      }),
    ]);
    expect(text).toContain('built     built.patch (1.0 s): /o/livepatch-built.ko');
    expect(text).toContain('    [init-code] x.o: changed section .init.text');
    expect(text).toContain('1 built, 1 refused, 0 without change, 0 failed');
  });
});
