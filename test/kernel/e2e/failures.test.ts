import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/util/outcomes.js';
import { buildFailure, PATCHES } from './harness.js';
import { snapshot, workTree } from './work-tree.js';
import { runsRoot } from '../../../src/util/run-logs.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const WATCHED = ['fs/proc/version.c', 'fs/proc/version.o', 'fs/proc/.version.o.cmd'];

/** proc-version-string.patch with the semicolon of its added line missing: fs/proc/version.c:16 does not compile. */
async function brokenPatch(): Promise<string> {
  const good = await readFile(join(PATCHES, 'proc-version-string.patch'), 'utf8');
  const bad = good.replace('+\tseq_puts(m, "version: livepatched\\n");', '+\tseq_puts(m, "version: livepatched\\n")');
  expect(bad).not.toBe(good);
  const { path: dir } = await tmpDir({ unsafeCleanup: true });
  const file = join(dir, 'syntax-error.patch');
  await writeFile(file, bad);
  return file;
}

// Quotes as the locale has them (kbuild unexports LC_ALL): 'x' or ‘x’.
const ERROR_LINE = /^fs\/proc\/version\.c:16:\d+: error: expected [‘']; *[’'] before [‘']return[’']$/m;

describe('a patch that does not compile', () => {
  it("fails with the compiler's error line and a log that outlives the run; the tree is unchanged", async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    const error = await buildFailure(await brokenPatch());
    // One object of a changed C file: compiled with the command kbuild recorded for it, not make.
    expect(error.message).toMatch(/^patched build failed: the commands kbuild recorded for fs\/proc\/version\.o in /);
    expect(error.message).toMatch(ERROR_LINE);
    expect(error.message).toMatch(/In function [‘']version_proc_show[’']/);
    // gcc's excerpt of the line, not make's "Error 1" lines
    expect(error.message).toMatch(/^ +16 \| +seq_puts\(m, "version: livepatched\\n"\)$/m);
    const logPath = /^full log: (.+)$/m.exec(error.message)?.[1];
    expect(logPath?.startsWith(runsRoot() + '/')).toBe(true);
    await access(logPath!);
    expect(await readFile(logPath!, 'utf8')).toMatch(ERROR_LINE);
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
  });

  it('from the command line with --debug: exit 6 (compile failed), the error line, the compile command and the kept work files', async () => {
    const tree = await workTree();
    const before = await snapshot(tree.dir, WATCHED);
    const result = await execa(
      'node',
      [
        join(REPO, 'bin/tsbuild-patch.js'),
        await brokenPatch(),
        '--container',
        'none',
        '--debug',
        '-o',
        '/tmp/tsbp-syntax-error.ko',
      ],
      { reject: false, all: true },
    );
    const output = String(result.all);
    expect(result.exitCode).toBe(exitCodeOf('compile-failed'));
    expect(result.exitCode).toBe(6);
    expect(output).toMatch(ERROR_LINE);
    expect(output).toMatch(
      /debug: run \(host\): cd \S+ && sh -c '.*\S*gcc\S* .* -c -o fs\/proc\/version\.o fs\/proc\/version\.c/,
    );
    expect(output).toMatch(/debug: {3}environment: .*LC_ALL=C/);
    const kept = /kept the work files of this run \(it failed\): (\S+)/.exec(output)?.[1];
    expect(kept).toBeDefined();
    await access(join(kept!, 'patched-build.log'));
    const runDir = /failed; logs of this run: (\S+)/.exec(output)?.[1];
    expect(await readFile(join(runDir!, 'run.log'), 'utf8')).toMatch(/debug: run \(host\): cd \S+ && sh -c /);
    expect(await snapshot(tree.dir, WATCHED)).toEqual(before);
  });
});
