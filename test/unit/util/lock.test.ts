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
    expect(
      await withDirLock(
        lock,
        (pid) => waits.push(pid),
        async () => 'ran',
      ),
    ).toBe('ran');
    expect(waits).toEqual([]);
    await cleanup();
  });

  it('takes over an old lock without an owner, and waits for a live owner', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    const ownerless = join(path, 'old.lock');
    await mkdir(ownerless);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(ownerless, longAgo, longAgo);
    expect(
      await withDirLock(
        ownerless,
        () => {},
        async () => 'ran',
      ),
    ).toBe('ran');

    const held = join(path, 'held.lock');
    const sleeper = execa('sleep', ['30']);
    await mkdir(held);
    await writeFile(join(held, 'pid'), String(sleeper.pid));
    const waits: number[] = [];
    const waiting = withDirLock(
      held,
      (pid) => waits.push(pid),
      async () => 'after',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(waits).toEqual([sleeper.pid]);
    sleeper.kill();
    await sleeper.catch(() => {});
    expect(await waiting).toBe('after');
    await cleanup();
  });
});

/** A lock directory left by a process that is gone: its pid file names a pid no process has. */
async function deadOwnersLock(lock: string): Promise<void> {
  const gone = await execa('sh', ['-c', 'echo $$']);
  await mkdir(lock);
  await writeFile(join(lock, 'pid'), gone.stdout.trim());
}

describe("withDirLock taking over a dead owner's lock", () => {
  it('lets exactly one of several concurrent takers hold it at a time', async () => {
    const { path, cleanup } = await dir({ unsafeCleanup: true });
    // Many locks at once, each left by a dead owner and wanted by several takers arriving
    // within a few milliseconds of each other: chances for two to take one lock.
    for (let round = 0; round < 2; round++) {
      const outcomes = await Promise.all(
        Array.from({ length: 32 }, async (_, n) => {
          const lock = join(path, `${round}-${n}.lock`);
          await deadOwnersLock(lock);
          let holding = 0;
          let most = 0;
          let ran = 0;
          await Promise.all(
            Array.from({ length: 5 }, async (_, i) => {
              await new Promise((resolve) => setTimeout(resolve, i % 4));
              await withDirLock(
                lock,
                () => {},
                async () => {
                  holding++;
                  most = Math.max(most, holding);
                  await new Promise((resolve) => setTimeout(resolve, 30));
                  holding--;
                  ran++;
                },
              );
            }),
          );
          return { ran, most };
        }),
      );
      expect(outcomes).toEqual(Array.from({ length: 32 }, () => ({ ran: 5, most: 1 })));
    }
    await cleanup();
  });
});
