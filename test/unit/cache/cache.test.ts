import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { listCache, type ListedEntry } from '../../../src/cache/listing.js';
import { pruneCache, type PruneFilter } from '../../../src/cache/prune.js';
import { treeLock } from '../../../src/kbuild/tree-slots.js';
import { cacheRoot } from '../../../src/util/cache.js';
import { withDirLock } from '../../../src/util/lock.js';
import { age, R50, R57, syntheticCache, type SyntheticCache } from './synthetic-cache.js';

let tmp: DirectoryResult;
let cache: SyntheticCache;
const savedRoot = process.env['TSBUILD_PATCH_CACHE'];
const children: ResultPromise[] = [];

beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'cache-' });
  process.env['TSBUILD_PATCH_CACHE'] = join(tmp.path, 'cache');
  cache = await syntheticCache(cacheRoot());
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  if (savedRoot === undefined) delete process.env['TSBUILD_PATCH_CACHE'];
  else process.env['TSBUILD_PATCH_CACHE'] = savedRoot;
  await tmp?.cleanup();
});

const byPath = (entries: readonly ListedEntry[], path: string) => entries.find((entry) => entry.path === path)!;

async function prune(filter: PruneFilter, dryRun = false) {
  const listing = await listCache(cacheRoot());
  const outcomes = await pruneCache({
    root: cacheRoot(),
    entries: listing.entries,
    runs: listing.runs,
    filter,
    dryRun,
  });
  return Object.fromEntries(outcomes.map((o) => [o.entry.path, o.reason ? `${o.outcome}: ${o.reason}` : o.outcome]));
}

/** A process that stays alive until the test ends (a run in progress, another tool). */
function liveProcess(): number {
  const child = execa('sleep', ['60'], { reject: false });
  children.push(child);
  return child.pid!;
}

describe('cache list', () => {
  it('lists every entry with its kind, release, size on disk and last use', async () => {
    const { entries, totalBytes } = await listCache(cacheRoot());
    expect(entries.map((e) => [e.kind, e.name, e.release])).toEqual([
      ['kernel', `debian-bookworm/${R50}_6.1.158-1`, R50],
      ['kernel', `debian-bookworm/${R57}_6.1.192-3`, R57],
      ['tree', 'key50', R50],
      ['tree', 'key57', R57],
      ['slot', 'key57/slots/1', R57],
      ['test-kernel', 'tkkey', '6.1.0-test'],
      ['kernel-facts', 'kernel-facts', undefined],
      ['containers', 'containers', undefined],
      ['run', '2026-01-01T00-00-00-000Z-4194305', undefined],
      ['other', 'test-kernel/tarball-hashes.json', undefined],
      ['other', 'notes.txt', undefined],
    ]);
    for (const entry of entries) expect(Date.now() - entry.lastUsedMs).toBeLessThan(60_000);
    expect(entries.every((e) => !e.inUse)).toBe(true);
    // du counts each inode once: the entries add up to the cache's entries as du measures them.
    const { stdout } = await execa('du', [
      '-s',
      '--block-size=1',
      ...entries.filter((e) => e.kind !== 'slot').map((e) => e.path),
    ]);
    expect(totalBytes).toBe(
      stdout
        .trim()
        .split('\n')
        .reduce((sum, line) => sum + Number(line.split('\t')[0]), 0),
    );
  });

  it("counts a slot's hard-linked sources once, with its tree", async () => {
    const { entries } = await listCache(cacheRoot());
    const tree = byPath(entries, cache.tree57);
    const slot = byPath(entries, cache.slot57);
    expect(tree.bytes).toBeGreaterThan(100_000);
    // The slot's own files: its two outputs and its directories, not its 100 kB of sources.
    expect(slot.bytes).toBeLessThan(50_000);
    expect(slot.reclaimable).toBe(slot.bytes);
    // Removing the tree removes its slot: the tree's reclaimable space includes the slot's.
    expect(tree.reclaimable).toBe(tree.bytes + slot.bytes);
    const { stdout } = await execa('du', ['-s', '--block-size=1', cache.tree57]);
    expect(tree.bytes + slot.bytes).toBe(Number(stdout.split('\t')[0]));
  });

  it('shows the last use of an entry unused for long', async () => {
    await age(cache.kernel50, '40 days ago');
    const { entries } = await listCache(cacheRoot());
    expect((Date.now() - byPath(entries, cache.kernel50).lastUsedMs) / 86_400_000).toBeCloseTo(40, 0);
  });
});

describe('cache prune', () => {
  it('by release removes that release only (its packages and its tree)', async () => {
    expect(await prune({ release: R50 })).toEqual({ [cache.kernel50]: 'removed', [cache.tree50]: 'removed' });
    for (const kept of [cache.kernel57, cache.tree57, cache.slot57, cache.testKernel, cache.run])
      expect(existsSync(kept), kept).toBe(true);
    expect(existsSync(cache.kernel50)).toBe(false);
    expect(existsSync(cache.tree50)).toBe(false);
  });

  it('removes a tree with its slots, reported as one', async () => {
    expect(await prune({ release: R57, kinds: ['tree', 'slot'] })).toEqual({ [cache.tree57]: 'removed' });
    expect(existsSync(cache.tree57)).toBe(false);
  });

  it("keeps a slot while its tree is locked (a slot is made under the tree's lock)", async () => {
    const locked = treeLock(cache.tree57);
    await mkdir(locked);
    await writeFile(join(locked, 'pid'), String(liveProcess()));
    expect(await prune({ kinds: ['slot'] })).toEqual({
      [cache.slot57]: expect.stringMatching(/^in-use: locked by process \d+ \(patch\.lock\)$/),
    });
  });

  it('never removes a locked entry', async () => {
    let release!: () => void;
    const released = new Promise<void>((done) => (release = done));
    let locked!: () => void;
    const isLocked = new Promise<void>((done) => (locked = done));
    const holder = withDirLock(
      treeLock(cache.tree50),
      () => {},
      async () => {
        locked();
        await released;
      },
    );
    await isLocked;
    try {
      const outcomes = await prune({ release: R50 });
      expect(outcomes[cache.tree50]).toBe(`in-use: locked by process ${process.pid} (patch.lock)`);
      expect(outcomes[cache.kernel50]).toBe('removed');
      expect(existsSync(join(cache.tree50, 'linux/kernel/f0.c'))).toBe(true);
    } finally {
      release();
      await holder;
    }
    expect(await prune({ release: R50 })).toEqual({ [cache.tree50]: 'removed' });
  });

  it('keeps a tree while one of its slots is locked, and removes the other slots', async () => {
    const slot2 = join(cache.tree57, 'slots/2');
    await execa('cp', ['-al', cache.slot57, slot2]);
    const locked = join(treeLock(cache.slot57));
    await mkdir(locked);
    await writeFile(join(locked, 'pid'), String(liveProcess()));
    expect(await prune({ kinds: ['tree', 'slot'], release: R57 })).toEqual({
      [cache.tree57]: expect.stringMatching(/^in-use: locked by process \d+ \(patch\.lock\) of key57\/slots\/1$/),
      [cache.slot57]: expect.stringMatching(/^in-use: locked by process \d+/),
      [slot2]: 'removed',
    });
    expect(existsSync(cache.slot57)).toBe(true);
  });

  it("keeps what a live run works with (its log names it), and the run's logs", async () => {
    const pid = liveProcess();
    const run = join(cache.root, `runs/2026-01-02T00-00-00-000Z-${pid}`);
    await mkdir(run);
    await writeFile(
      join(run, 'run.log'),
      [
        `debug: target kernel ${R57}: config ${cache.kernel57}/files/boot/config-${R57}, vmlinux ...`,
        `debug: tree ${cache.slot57}/linux (cache entry ${cache.slot57}); runner host`,
      ].join('\n'),
    );
    const outcomes = await prune({ all: true });
    const inUse = `in-use: used by the run of process ${pid} (runs/2026-01-02T00-00-00-000Z-${pid})`;
    expect(outcomes[cache.kernel57]).toBe(inUse);
    expect(outcomes[cache.tree57]).toBe(inUse);
    expect(outcomes[cache.slot57]).toBe(inUse);
    expect(outcomes[run]).toBe(`in-use: the run of process ${pid} is still going`);
    for (const removed of [cache.kernel50, cache.tree50, cache.testKernel, cache.run])
      expect(outcomes[removed], removed).toBe('removed');
    expect(existsSync(join(cache.root, 'notes.txt'))).toBe(true);
    expect(existsSync(cache.slot57)).toBe(true);
  });

  it('removes the logs of a finished run whose process lives on, but keeps what it named', async () => {
    const pid = liveProcess();
    const run = join(cache.root, `runs/2026-01-02T00-00-00-000Z-${pid}.1`);
    await mkdir(run);
    await writeFile(
      join(run, 'run.log'),
      `debug: tree ${cache.tree50}/linux (cache entry ${cache.tree50}); runner host\n`,
    );
    await writeFile(join(run, 'finished'), 'x\n');
    const outcomes = await prune({ kinds: ['run', 'tree'] });
    expect(outcomes[run]).toBe('removed');
    expect(outcomes[cache.tree50]).toMatch(/^in-use: used by the run of process \d+/);
  });

  it('keeps an entry another process waits to lock', async () => {
    const staged = `${join(cache.kernel50, 'acquire.lock')}.${liveProcess()}.0a1b2c3d`;
    await mkdir(staged);
    expect((await prune({ release: R50 }))[cache.kernel50]).toMatch(
      /^in-use: process \d+ waits for its lock \(acquire\.lock\)$/,
    );
  });

  it('by age removes the entries unused for longer', async () => {
    await age(cache.kernel50, '40 days ago');
    await age(cache.run, '40 days ago');
    expect(await prune({ olderThanDays: 30 })).toEqual({ [cache.kernel50]: 'removed', [cache.run]: 'removed' });
  });

  it('with --dry-run removes nothing', async () => {
    const outcomes = await prune({ all: true }, true);
    expect(outcomes[cache.tree57]).toBe('would-remove');
    for (const path of Object.keys(outcomes)) expect(existsSync(path), path).toBe(true);
  });

  it('removes what a removal killed halfway left', async () => {
    const leftover = join(cache.root, '.removing-4194305-0');
    await mkdir(join(leftover, 'linux'), { recursive: true });
    expect((await prune({ kinds: ['leftover'] }))[leftover]).toBe('removed');
    expect(existsSync(leftover)).toBe(false);
  });
});

describe('tsbuild-patch cache', () => {
  const ROOT = resolve(import.meta.dirname, '../../..');
  const cli = (args: string[]) =>
    execa(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), 'cache', ...args], {
      reject: false,
      env: { TSBUILD_PATCH_CACHE: cacheRoot() },
    });

  it('lists as JSON, and prune wants to be told what to remove', async () => {
    const list = await cli(['--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    const parsed = JSON.parse(list.stdout) as { entries: { kind: string; release?: string; bytes: number }[] };
    expect(parsed.entries.filter((e) => e.kind === 'tree').map((e) => e.release)).toEqual([R50, R57]);
    const refused = await cli(['prune']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/--older-than DAYS, --release REL, --kind KIND, or --all/);
    const pruned = await cli(['prune', '--release', R50]);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(
      /^removed +kernel debian-bookworm\/6\.1\.0-50-amd64_6\.1\.158-1 \(6\.1\.0-50-amd64\): /m,
    );
    expect(pruned.stdout).toMatch(/^freed /m);
    expect(existsSync(cache.tree50)).toBe(false);
  });
});
