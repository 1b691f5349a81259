import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import {
  createRunDir,
  KEPT_RUNS,
  markRunFinished,
  pruneRuns,
  runLogWriter,
  runsRoot,
  runStamp,
} from '../../../src/util/run-logs.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 16, 0, 0) + seconds * 1000);

describe('the store of run logs', () => {
  it('lives under the cache root', () => {
    const saved = process.env['TSBUILD_PATCH_CACHE'];
    process.env['TSBUILD_PATCH_CACHE'] = '/somewhere/cache';
    try {
      expect(runsRoot()).toBe('/somewhere/cache/runs');
    } finally {
      if (saved === undefined) delete process.env['TSBUILD_PATCH_CACHE'];
      else process.env['TSBUILD_PATCH_CACHE'] = saved;
    }
  });

  it('names a run by its time and pid, in an order that sorts by time', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    const dir = await createRunDir({ root, now: at(0), pid: 4242 });
    expect(dir).toBe(join(root, '2026-12-01T16-00-00-000Z-4242'));
    expect(runStamp(at(61.5)) > runStamp(at(9))).toBe(true);
  });

  it('gives two runs of one process started in the same millisecond their own directories', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    const dirs = await Promise.all([0, 1, 2].map(() => createRunDir({ root, now: at(0), pid: 7 })));
    await Promise.all(dirs.map(markRunFinished));
    expect(dirs.map((d) => d.slice(root.length + 1)).sort()).toEqual([
      `${runStamp(at(0))}-7`,
      `${runStamp(at(0))}-7.1`,
      `${runStamp(at(0))}-7.2`,
    ]);
    await createRunDir({ root, now: at(1), pid: 7, keep: 2 });
    expect((await readdir(root)).sort()).toEqual([`${runStamp(at(0))}-7.2`, `${runStamp(at(1))}-7`]);
  });

  it('keeps the last 20 runs: a new run removes the oldest, leaving other files alone', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    expect(KEPT_RUNS).toBe(20);
    for (let i = 0; i < 25; i++) {
      const dir = await createRunDir({ root, now: at(i), pid: 100 + i });
      await writeFile(join(dir, 'patched-build.log'), `run ${i}\n`);
      await markRunFinished(dir);
    }
    await mkdir(join(root, 'not-a-run'));
    const names = (await readdir(root)).sort();
    expect(names).toHaveLength(21);
    expect(names[0]).toBe(`${runStamp(at(5))}-105`);
    expect(names).toContain('not-a-run');
    expect(await readFile(join(root, `${runStamp(at(24))}-124`, 'patched-build.log'), 'utf8')).toBe('run 24\n');
  });

  it('never removes the run being created, even when the clock went back', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    for (let i = 10; i < 13; i++) await markRunFinished(await createRunDir({ root, now: at(i), pid: i, keep: 3 }));
    const late = await createRunDir({ root, now: at(0), pid: 1, keep: 3 });
    expect((await readdir(root)).map((n) => join(root, n))).toContain(late);
    await markRunFinished(late);
    expect(await pruneRuns(root, 3)).toEqual([`${runStamp(at(0))}-1`]);
  });

  it('keeps a run still going however many runs start after it, and prunes it once over', async () => {
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    const gone = Number((await execa('sh', ['-c', 'echo $$'])).stdout);
    const going = await createRunDir({ root, now: at(0), pid: process.pid }); // not finished, its process alive
    const crashed = await createRunDir({ root, now: at(1), pid: gone }); // not finished, its process gone
    for (let i = 2; i < 2 + KEPT_RUNS + 3; i++)
      await markRunFinished(await createRunDir({ root, now: at(i), pid: process.pid }));
    const names = (await readdir(root)).sort();
    expect(names).toHaveLength(KEPT_RUNS + 1);
    expect(names[0]).toBe(`${runStamp(at(0))}-${process.pid}`);
    expect(names).not.toContain(`${runStamp(at(1))}-${gone}`);
    await access(crashed).then(
      () => expect.fail('the crashed run was kept'),
      () => undefined,
    );
    // The run still going can write its logs.
    runLogWriter(going)('stage diff');
    await writeFile(join(going, 'diff.log'), 'still here\n');

    await markRunFinished(going);
    await createRunDir({ root, now: at(100), pid: process.pid });
    expect(await readdir(root)).not.toContain(`${runStamp(at(0))}-${process.pid}`);
  });

  it("appends the run's messages to run.log with a time", async () => {
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    const write = runLogWriter(dir);
    write('stage validate');
    write('debug: run (host): make -C /tree fs/proc/version.o');
    const lines = (await readFile(join(dir, 'run.log'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z debug: run \(host\): make/);
  });
});
