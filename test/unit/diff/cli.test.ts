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
});
