/** `tsbuild-patch diff`: JSON report and exit status, run as a user would. */
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { dir } from 'tmp-promise';
import { CORPUS_DIR, requireCorpus } from './corpus-cases.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = (args: string[]) =>
  execa(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), 'diff', ...args], { reject: false });

describe('tsbuild-patch diff', () => {
  beforeAll(requireCorpus);

  it('prints the JSON report and exits 0 when it wrote a patch object', async () => {
    const work = await dir({ unsafeCleanup: true });
    try {
      const output = join(work.path, 'out.o');
      const result = await run([
        join(CORPUS_DIR, 'function-ptr-new.ORIG.o'),
        join(CORPUS_DIR, 'function-ptr-new.PATCHED.o'),
        '--output',
        output,
        '--entry-size',
        '__jump_table=24',
        '--json',
      ]);
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({
        outcome: 'changed',
        changedFunctions: ['meminfo_proc_open'],
        newFunctions: ['patch_print_something'],
        callbacks: [],
        reasons: [],
        output,
      });
      expect(report.entrySizes['__jump_table']).toEqual({ size: 24, origin: 'given' });
      expect(report.entrySizes['__bug_table'].origin).toMatch(/^default x86_64 6\.1/);
    } finally {
      await work.cleanup();
    }
  });

  it('exits 2 with reasons naming the section when refusing, 3 without change, 1 on bad input', async () => {
    const refused = await run([
      join(CORPUS_DIR, 'meminfo-init.ORIG.o'),
      join(CORPUS_DIR, 'meminfo-init.PATCHED.FAIL.o'),
      '-o',
      '/dev/null',
    ]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toMatch(/refused: changed section \.init\.text not selected for inclusion/);
    const same = await run([
      join(CORPUS_DIR, 'unique-id-pr-1314.ORIG.o'),
      join(CORPUS_DIR, 'unique-id-pr-1314.PATCHED.FAIL.o'),
      '-o',
      '/dev/null',
    ]);
    expect(same.exitCode).toBe(3);
    const bad = await run([join(CORPUS_DIR, 'missing.o'), join(CORPUS_DIR, 'warn-detect.ORIG.o'), '-o', '/dev/null']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/missing\.o/);
  });

  it('guesses at line numbers by default (objects built elsewhere), and does not with --line-numbers kept', async () => {
    const work = await dir({ unsafeCleanup: true });
    try {
      // warn-detect's objects differ only in line numbers passed to WARN() and the like (no line keeping).
      const pair = [
        join(CORPUS_DIR, 'warn-detect.ORIG.o'),
        join(CORPUS_DIR, 'warn-detect.PATCHED.FAIL.o'),
        '--entry-size',
        '__jump_table=24',
      ];
      const guessed = await run([...pair, '-o', join(work.path, 'guessed.o'), '--json']);
      expect(guessed.exitCode).toBe(3);
      const report = JSON.parse(guessed.stdout);
      expect(report).toMatchObject({ outcome: 'no-change', lineNumbers: 'guessed', changedFunctions: [] });
      expect(report.notes).toContain('only line numbers changed in .text.__dev_get_by_flags');
      const text = await run([...pair, '-o', join(work.path, 'text.o'), '--line-numbers', 'guessed']);
      expect(text.exitCode).toBe(3);
      expect(text.stdout).toMatch(/^note: only line numbers changed in \.text\./m);

      const kept = await run([...pair, '-o', join(work.path, 'kept.o'), '--line-numbers', 'kept', '--json']);
      expect(kept.exitCode).toBe(0);
      const keptReport = JSON.parse(kept.stdout);
      expect(keptReport).toMatchObject({ outcome: 'changed', lineNumbers: 'kept' });
      expect(keptReport.changedFunctions).toContain('__dev_get_by_flags');
      expect(keptReport.notes.filter((note: string) => note.startsWith('only line numbers'))).toEqual([]);

      const wrong = await run([...pair, '-o', join(work.path, 'wrong.o'), '--line-numbers', 'maybe']);
      expect(wrong.exitCode).toBe(64);
    } finally {
      await work.cleanup();
    }
  });

  it("--help says what each way of reading line numbers means, and the guess's blind spot", async () => {
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/--line-numbers .*'kept'.*every difference is a change/);
    expect(text).toMatch(/'guessed'.*kpatch-build/);
    expect(text).toMatch(/Blind spot of the guess: a changed constant passed to printk\/WARN/);
    expect(text).toMatch(/\[choices: "kept", "guessed"\] \[default: "guessed"\]/);
  });
});
