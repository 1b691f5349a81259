/**
 * What the calls counted while patched add up to: a verdict per livepatch, its line in the
 * reports, and why --require-exercised fails.
 */
import { describe, expect, it } from 'vitest';
import {
  describeExercise,
  exerciseShortfalls,
  exerciseVerdict,
  type FunctionCalls,
  type ModuleExercise,
} from '../../../src/report/exercise.js';
import { formatRunReport, type RunReport } from '../../../src/report/run-report.js';

const fn = (name: string, calls: number | null): FunctionCalls => ({
  object: 'vmlinux',
  function: name,
  sympos: 1,
  symbol: `tsbp_new_${name}`,
  calls,
  ...(calls === null ? { reason: 'no kprobe events in this kernel' } : {}),
});
const exercise = (...functions: FunctionCalls[]): ModuleExercise => ({
  module: 'livepatch_fix',
  verdict: exerciseVerdict(functions),
  functions,
});

describe('exerciseVerdict', () => {
  it('exercised only when every function was called', () => {
    expect(exerciseVerdict([fn('f', 1), fn('g', 20)])).toBe('exercised');
    expect(exerciseVerdict([fn('f', 1), fn('g', 0)])).toBe('partly-exercised');
    expect(exerciseVerdict([fn('f', 1), fn('g', null)])).toBe('partly-exercised');
  });

  it('not exercised when none was called and one at least was counted; not measured when none was', () => {
    expect(exerciseVerdict([fn('f', 0)])).toBe('not-exercised');
    expect(exerciseVerdict([fn('f', 0), fn('g', null)])).toBe('not-exercised');
    expect(exerciseVerdict([fn('f', null)])).toBe('not-measured');
    expect(exerciseVerdict([])).toBe('not-measured');
  });
});

describe('the reports', () => {
  it('give each livepatch its verdict and each function its calls or why they were not counted', () => {
    expect(describeExercise(exercise(fn('f', 1), fn('g', 3)))).toBe(
      'livepatch_fix: exercised (vmlinux/f,1: 1 call; vmlinux/g,1: 3 calls)',
    );
    expect(describeExercise(exercise(fn('f', null)))).toBe(
      'livepatch_fix: not measured (vmlinux/f,1: not measured (no kprobe events in this kernel))',
    );
  });

  it("the run report shows the VM test's verdict apart from its status", () => {
    const report: RunReport = {
      module: 'livepatch-fix',
      signed: false,
      kernelRelease: '6.1.0-57-amd64',
      runner: 'host',
      stages: [],
      objects: [],
      warnings: [],
      vmTest: { status: 'ok', exitStatus: 0, output: '', exercise: [exercise(fn('f', 0))], exerciseRequired: false },
    };
    expect(formatRunReport(report)).toContain(
      'vm test: ok, script exit 0\n  livepatch_fix: not exercised (vmlinux/f,1: 0 calls)\n',
    );
  });
});

describe('exerciseShortfalls (--require-exercised)', () => {
  it('none when every function of every livepatch was called', () => {
    expect(exerciseShortfalls([exercise(fn('f', 2)), exercise(fn('g', 1))])).toEqual([]);
  });

  it('each function not called or not counted, and nothing counted at all', () => {
    expect(exerciseShortfalls([exercise(fn('f', 2), fn('g', 0), fn('h', null))])).toEqual([
      'livepatch_fix: vmlinux/g,1: 0 calls',
      'livepatch_fix: vmlinux/h,1: not measured (no kprobe events in this kernel)',
    ]);
    expect(exerciseShortfalls([])).toEqual([expect.stringMatching(/^no calls were counted/)]);
  });
});
