/** The one table of outcomes and exit codes: what reads it, and the README that shows it. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { batchExitCode, type BatchOutcome } from '../../../src/pipeline/batch.js';
import { releasesExitCode, type ReleaseOutcome } from '../../../src/pipeline/releases.js';
import { failureReport } from '../../../src/report/failure-report.js';
import { EXIT_STATUS } from '../../../src/diff/report.js';
import { refusedError, UserError } from '../../../src/util/errors.js';
import {
  exitCodeOf,
  exitStatusHelp,
  exitStatusMarkdown,
  failureOutcome,
  OUTCOMES,
  signalOutcome,
  vmTestOutcome,
  worstOutcome,
  type Outcome,
} from '../../../src/util/outcomes.js';

const README = resolve(import.meta.dirname, '../../../README.md');
const outcomes = Object.keys(OUTCOMES) as Outcome[];

describe('the table of outcomes', () => {
  it('gives each outcome its status: the job 0-6, usage and bugs as sysexits (64, 70), signals 128 + n', () => {
    expect(Object.fromEntries(outcomes.map((o) => [o, exitCodeOf(o)]))).toEqual({
      built: 0,
      passed: 0,
      changed: 0,
      done: 0,
      failed: 1,
      refused: 2,
      'no-change': 3,
      'vm-test-failed': 4,
      'vm-unfinished': 5,
      'compile-failed': 6,
      usage: 64,
      'internal-error': 70,
      interrupted: 130,
      terminated: 143,
    });
  });

  it('is what errors, reports, batch, several releases, vm-test, diff and signals map to', () => {
    expect(new UserError('bad').exitCode).toBe(exitCodeOf('failed'));
    expect(refusedError('init-code', 'changed __init code').exitCode).toBe(exitCodeOf('refused'));
    expect(failureReport(refusedError('init-code', 'x')).outcome).toBe('refused');
    expect(failureReport(new UserError('same', { exitCode: 3 })).outcome).toBe('no-change');
    expect([1, 2, 3, 6, 64, 70, 42].map(failureOutcome)).toEqual([
      'failed',
      'refused',
      'no-change',
      'compile-failed',
      'usage',
      'internal-error',
      'failed',
    ]);
    expect(failureReport(new Error('bug'))).toMatchObject({ outcome: 'internal-error', exitCode: 70 });

    expect(worstOutcome([])).toBe('built');
    expect(worstOutcome(['built', 'no-change', 'refused'])).toBe('refused');
    const batch = (...what: BatchOutcome['outcome'][]) => what.map((outcome) => ({ outcome }) as BatchOutcome);
    expect(batchExitCode(batch('built', 'refused', 'failed'))).toBe(1);
    const releases = (...what: ReleaseOutcome['outcome'][]) => what.map((outcome) => ({ outcome }) as ReleaseOutcome);
    // Several releases rank their failures as a batch does (the worst, not the first).
    expect(releasesExitCode(releases('built', 'no-change', 'refused'))).toBe(2);
    expect(releasesExitCode(releases('compile-failed', 'failed'))).toBe(1);
    expect(releasesExitCode(releases('built'))).toBe(0);

    expect(vmTestOutcome({ status: 'ok', exitStatus: 0 })).toBe('passed');
    expect(vmTestOutcome({ status: 'ok', exitStatus: 1 })).toBe('vm-test-failed');
    // A script that passed, but what was required of it (--require-exercised) did not hold.
    expect(vmTestOutcome({ status: 'ok', exitStatus: 0 }, false)).toBe('vm-test-failed');
    expect(vmTestOutcome({ status: 'timeout', exitStatus: undefined }, false)).toBe('vm-unfinished');
    expect(vmTestOutcome({ status: 'timeout', exitStatus: undefined })).toBe('vm-unfinished');
    expect(EXIT_STATUS).toEqual({ changed: 0, refused: 2, 'no-change': 3 });
    expect([signalOutcome('SIGINT'), signalOutcome('SIGTERM'), signalOutcome('SIGHUP')]).toEqual([
      'interrupted',
      'terminated',
      'terminated',
    ]);
  });

  it("gives each command's --help its own statuses", () => {
    const codes = (text: string) =>
      text
        .split('\n')
        .slice(1)
        .map((line) => /^\s+(\d+)\s/.exec(line)?.[1])
        .filter(Boolean)
        .map(Number);
    expect(codes(exitStatusHelp('build'))).toEqual([0, 1, 2, 3, 4, 5, 6, 64, 70, 130, 143]);
    expect(codes(exitStatusHelp('batch'))).toEqual([0, 1, 2, 3, 6, 64, 70, 130, 143]);
    expect(codes(exitStatusHelp('vm-test'))).toEqual([0, 1, 4, 5, 64, 70, 130, 143]);
    expect(codes(exitStatusHelp('diff'))).toEqual([0, 1, 2, 3, 64, 70, 130, 143]);
    expect(codes(exitStatusHelp('package'))).toEqual([0, 1, 64, 70, 130, 143]);
    expect(exitStatusHelp('vm-test')).toContain('vm-unfinished');
    expect(exitStatusHelp('build')).toMatch(/^\s+64  usage\s/m);
  });
});

describe('--help', () => {
  it('of every command shows its exit statuses', async () => {
    const { COMMAND_NAMES, createCli } = await import('../../../src/cli/cli.js');
    expect(COMMAND_NAMES.length).toBeGreaterThan(10);
    for (const command of [...COMMAND_NAMES, undefined]) {
      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((text: unknown) => void lines.push(String(text)));
      try {
        await createCli(command ? [command, '--help'] : ['x.patch', '--help'])
          .exitProcess(false)
          .parseAsync();
      } finally {
        log.mockRestore();
      }
      const help = lines.join('\n');
      expect(help, `${command ?? 'the main command'} --help`).toContain('Exit status:');
      expect(help).toMatch(/^\s+64 {2}usage\s/m);
    }
  });
});

describe('the README', () => {
  it('holds the table generated from it, and lists exactly its outcomes and codes', async () => {
    const text = await readFile(README, 'utf8');
    const section =
      /<!-- exit-status: generated from src\/util\/outcomes.ts \(exitStatusMarkdown\) -->\n([\s\S]*?)\n<!-- end exit-status -->/.exec(
        text,
      )?.[1];
    expect(section, 'README.md lacks the exit-status table between its markers').toBeDefined();
    expect(section).toBe(exitStatusMarkdown());
    const rows = section!
      .split('\n')
      .slice(2)
      .map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows.map((cells) => [cells[2]!.replace(/`/g, ''), Number(cells[1])])).toEqual(
      outcomes.map((o) => [o, exitCodeOf(o)]),
    );
    expect(new Set(rows.map((cells) => Number(cells[1])))).toEqual(new Set(outcomes.map((o) => exitCodeOf(o))));
  });
});
