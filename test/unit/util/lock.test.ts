import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { withDirLock } from '../../../src/util/lock.js';

describe('withDirLock', () => {
  it('runs racing bodies one at a time, and the waiter always learns the owner', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    const lock = join(path, 'x.lock');
    const events: string[] = [];
    const waits: number[] = [];
    const body = (name: string) => async () => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      events.push(`${name} out`);
    };
    await Promise.all([
      withDirLock(lock, (pid) => waits.push(pid), body('a')),
      withDirLock(lock, (pid) => waits.push(pid), body('b')),
    ]);
    expect(events).toHaveLength(4);
    expect(events[1]?.endsWith('out')).toBe(true);
    expect(events[0]?.[0]).toBe(events[1]?.[0]);
    expect(waits).toEqual([process.pid]);
    expect(await readdir(path)).toEqual([]); // no lock and no staged directory left
    await cleanup();
  });

  it('takes over a lock whose owner process is gone', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    const lock = join(path, 'x.lock');
    const gone = await execa('sh', ['-c', 'echo $$']);
    await mkdir(lock);
    await writeFile(join(lock, 'pid'), gone.stdout.trim());
    const waits: number[] = [];
    expect(await withDirLock(lock, (pid) => waits.push(pid), async () => 'ran')).toBe('ran');
    expect(waits).toEqual([]);
    await cleanup();
  });

  it('takes over an old lock without an owner, and waits for a live owner', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    const ownerless = join(path, 'old.lock');
    await mkdir(ownerless);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(ownerless, longAgo, longAgo);
    expect(await withDirLock(ownerless, () => {}, async () => 'ran')).toBe('ran');

    const held = join(path, 'held.lock');
    const sleeper = execa('sleep', ['30']);
    await mkdir(held);
    await writeFile(join(held, 'pid'), String(sleeper.pid));
    const waits: number[] = [];
    const waiting = withDirLock(held, (pid) => waits.push(pid), async () => 'after');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(waits).toEqual([sleeper.pid]);
    sleeper.kill();
    await sleeper.catch(() => {});
    expect(await waiting).toBe('after');
    await cleanup();
  });
});
