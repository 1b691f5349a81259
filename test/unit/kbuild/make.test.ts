import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { describeEnv, makeCommandLine, runMake } from '../../../src/kbuild/make.js';
import { UserError } from '../../../src/util/errors.js';
import { exitCodeOf } from '../../../src/util/outcomes.js';
import { failureReport } from '../../../src/report/failure-report.js';
import { startRunSession } from '../../../src/util/run-session.js';

/** A tree whose Makefile prints kbuild-style lines and compiles a C file with gcc (broken on demand). */
async function tree(broken: boolean): Promise<string> {
  const { path } = await tmpDir({ unsafeCleanup: true });
  await writeFile(join(path, 'version.c'), `int show(int m)\n{\n\tint x = m${broken ? '' : ';'}\n\treturn x;\n}\n`);
  await writeFile(
    join(path, 'Makefile'),
    [
      'version.o: version.c',
      '\t@echo "  CC      version.o"',
      '\t@gcc -c -o $@ $<',
      'other.o:',
      '\t@echo "  CC      other.o"',
      '\t@touch $@',
      '',
    ].join('\n'),
  );
  return path;
}

async function session() {
  const { path: runsRoot } = await tmpDir({ unsafeCleanup: true });
  const shown: string[] = [];
  const progress: string[] = [];
  const s = await startRunSession({
    log: (m) => shown.push(m),
    debug: false,
    runsRoot,
    progress: {
      stageStarted: (n) => progress.push(`start ${n}`),
      stageEnded: (n) => progress.push(`end ${n}`),
      buildStarted: (t) => progress.push(`build ${t ?? '?'}`),
      compiled: (o) => progress.push(`cc ${o}`),
      buildEnded: () => progress.push('built'),
    },
  });
  return { s, shown, progress };
}

describe('runMake inside a run', () => {
  it('keeps the output in <run>/<stage>.log, counts compiles and logs the command for --debug', async () => {
    const dir = await tree(false);
    const { s, shown, progress } = await session();
    s.stages.stageStarted('patched-build');
    await s.run(() =>
      runMake({
        tree: dir,
        targets: ['version.o', 'other.o'],
        logFile: join(dir, 'build.log'),
        what: 'patched build',
        vars: { KCFLAGS: '-O2 -g' },
      }),
    );
    s.stages.stageEnded('patched-build', 1, false);
    expect(await readFile(join(s.runDir, 'patched-build.log'), 'utf8')).toMatch(/CC {6}version\.o\n {2}CC {6}other\.o/);
    expect(await readFile(join(dir, 'build.log'), 'utf8')).toMatch(/CC {6}other\.o/);
    expect(progress).toEqual([
      'start patched-build',
      'build 2',
      'cc version.o',
      'cc other.o',
      'built',
      'end patched-build',
    ]);
    // Not shown without --debug, but kept in run.log
    expect(shown.some((m) => m.startsWith('debug:'))).toBe(false);
    const runLog = await readFile(join(s.runDir, 'run.log'), 'utf8');
    expect(runLog).toContain(`debug: run (host): make -C ${dir} -j1 'KCFLAGS=-O2 -g' version.o other.o`);
    expect(runLog).toMatch(/debug: {3}environment: ARCH=x86_64 LC_ALL=C; unset KCFLAGS KCPPFLAGS KAFLAGS/);
  });

  it("fails with gcc's error line, its excerpt and the path of a log that outlives the tree", async () => {
    const dir = await tree(true);
    const { s, shown } = await session();
    s.stages.stageStarted('patched-build');
    const error = await s
      .run(() => runMake({ tree: dir, targets: ['version.o'], logFile: join(dir, 'build.log'), what: 'patched build' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    // A compile failure has its own outcome, and its --json failure report names the run's logs.
    expect((error as UserError).exitCode).toBe(exitCodeOf('compile-failed'));
    expect(failureReport(error)).toMatchObject({ outcome: 'compile-failed', exitCode: 6, logDir: s.runDir });
    const message = (error as UserError).message;
    expect(message).toMatch(/^patched build failed: make version\.o in \S+ \(exit 2\)\n/);
    expect(message).toMatch(
      /^version\.c: In function [‘']show[’']:\nversion\.c:4:\d+: error: expected [‘'],[’'] or [‘'];[’'] before [‘']return[’']$/m,
    );
    expect(message).toMatch(/^ +4 \| +return x;$/m);
    expect(message).not.toMatch(/\*\*\*/);
    const kept = join(s.runDir, 'patched-build.log');
    expect(message.endsWith(`full log: ${kept}`)).toBe(true);
    await access(kept);
    expect(shown.at(-1)).toBe(`failed; logs of this run: ${s.runDir}`);
  });

  it('outside a run: the log given, and the tail when no error line is recognizable', async () => {
    const dir = await tree(false);
    const error = await runMake({ tree: dir, targets: ['nothing.o'], logFile: join(dir, 'build.log'), what: 'x' }).then(
      () => new Error('runMake did not fail'),
      (e: unknown) => e as Error,
    );
    // make's stdout ("Leaving directory") and stderr (the error) may come in either order.
    expect(error.message).toMatch(
      /\nlast lines of the log:\n(.*\n)*make: \*\*\* No rule to make target 'nothing\.o'\.  Stop\.\n(.*\n)*full log: /,
    );
    expect(error.message.endsWith(`full log: ${join(dir, 'build.log')}`)).toBe(true);
  });

  it('writes command lines and environments as a shell takes them', () => {
    expect(makeCommandLine(['-C', '/t', 'KCFLAGS=-a -b', "X=it's"])).toBe(`make -C /t 'KCFLAGS=-a -b' 'X=it'\\''s'`);
    expect(
      describeEnv(
        { KCFLAGS: undefined, LC_ALL: 'C' },
        { HOME: '/root', CROSS_COMPILE: 'x86_64-linux-gnu-', KCFLAGS: '-O3' },
      ),
    ).toBe('LC_ALL=C; unset KCFLAGS; inherited CROSS_COMPILE=x86_64-linux-gnu-');
  });
});

describe('runMake on a prepared tree', () => {
  /** A tree whose object depends on a phony prepare target that leaves a mark each time it runs. */
  async function preparedTree(): Promise<string> {
    const { path } = await tmpDir({ unsafeCleanup: true });
    await writeFile(
      join(path, 'Makefile'),
      ['.PHONY: prepare', 'prepare:', '\t@echo ran >> prepare.marks', 'obj.o: prepare', '\t@touch $@', ''].join('\n'),
    );
    return path;
  }
  const marks = (dir: string) => readFile(join(dir, 'prepare.marks'), 'utf8').catch(() => '');

  it('takes prepare as done with prepared (make -o prepare), and runs it otherwise', async () => {
    const dir = await preparedTree();
    const options = { tree: dir, targets: ['obj.o'], logFile: join(dir, 'build.log'), what: 'test' };
    await runMake({ ...options, prepared: true });
    await access(join(dir, 'obj.o'));
    expect(await marks(dir)).toBe('');
    await runMake(options);
    expect(await marks(dir)).toBe('ran\n');
  });

  it("takes a tree's unused parts as done (assumeOld), and builds them otherwise", async () => {
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    await writeFile(
      join(dir, 'Makefile'),
      ['.PHONY: btfids', 'btfids:', '\t@echo built >> btfids.marks', 'prep: btfids', '\t@touch $@', ''].join('\n'),
    );
    const options = { tree: dir, targets: ['prep'], logFile: join(dir, 'build.log'), what: 'test' };
    await runMake({ ...options, assumeOld: ['btfids'] });
    await access(join(dir, 'prep'));
    expect(await readFile(join(dir, 'btfids.marks'), 'utf8').catch(() => '')).toBe('');
    await runMake(options);
    expect(await readFile(join(dir, 'btfids.marks'), 'utf8')).toBe('built\n');
  });
});
