import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock directory with no owner recorded (left by an older version) is taken over after this. */
const OWNERLESS_LOCK_MS = 60_000;
/** How long a lock taken from a dead owner is kept, moved aside, as a tombstone (see takeOver). */
const TOMBSTONE_MS = 60 * 60_000;

/** What is at LOCKDIR: nothing, a lock held (by PID when known), or a lock to take over. */
type LockState = { kind: 'gone' } | { kind: 'held'; pid?: number } | { kind: 'stale'; ino: bigint; empty: boolean };

/** The state of the lock at LOCKDIR; undefined when it was replaced while being looked at. */
async function lockState(lockDir: string): Promise<LockState | undefined> {
  const before = await stat(lockDir, { bigint: true }).catch(() => undefined);
  if (!before) return { kind: 'gone' };
  const pidText = await readFile(join(lockDir, 'pid'), 'utf8').catch(() => undefined);
  const entries = await readdir(lockDir).catch(() => undefined);
  const after = await stat(lockDir, { bigint: true }).catch(() => undefined);
  // The pid read must be this directory's: a lock never changes once in place.
  if (!after || after.ino !== before.ino || entries === undefined) return undefined;
  const pid = Number.parseInt(pidText ?? '', 10);
  const stale = { kind: 'stale' as const, ino: before.ino, empty: entries.length === 0 };
  if (Number.isFinite(pid)) return processAlive(pid) ? { kind: 'held', pid } : stale;
  return Date.now() - Number(before.mtimeMs) > OWNERLESS_LOCK_MS ? stale : { kind: 'held' };
}

/**
 * Take the lock at LOCKDIR, found stale, away from its dead owner; true when this call did.
 * Several processes may find the same dead owner at once, and no call removes a directory only if
 * it is still the one found (a taker that removed it blindly could remove the lock another
 * taker has just taken). So the stale lock is renamed to a name given by its inode, the same
 * for every taker that found it: the first rename moves it, and it stays there, not empty, so
 * that any later rename to that name is refused and moves nothing, whatever has taken its
 * place at LOCKDIR since. Tombstones are removed after TOMBSTONE_MS; a taker would have to stall
 * for that long between finding the lock stale and renaming it to do harm. An empty lock
 * directory (left by an older version) is removed with rmdir, which only ever removes an empty
 * directory and so never a lock of this version (those always hold their pid file).
 */
async function takeOver(lockDir: string, state: { ino: bigint; empty: boolean }): Promise<boolean> {
  const refusals = ['ENOENT', 'ENOTEMPTY', 'EEXIST'];
  if (state.empty) {
    return rmdir(lockDir).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (refusals.includes(error.code ?? '')) return false;
        throw error;
      },
    );
  }
  const tombstone = `${lockDir}.stale-${state.ino}`;
  try {
    await rename(lockDir, tombstone);
  } catch (error) {
    if (refusals.includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
  // Dates the tombstone (its age decides when it goes).
  await writeFile(join(tombstone, 'taken-over-by'), `${process.pid}\n`);
  await removeOldTombstones(lockDir);
  return true;
}

/** Remove what takeovers and releases of LOCKDIR left beside it longer than TOMBSTONE_MS ago. */
async function removeOldTombstones(lockDir: string): Promise<void> {
  const prefix = basename(lockDir);
  for (const name of await readdir(dirname(lockDir)).catch(() => [] as string[])) {
    if (!name.startsWith(`${prefix}.stale-`) && !name.startsWith(`${prefix}.released-`)) continue;
    const path = join(dirname(lockDir), name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > TOMBSTONE_MS) await rm(path, { recursive: true, force: true });
  }
}

/**
 * A cross-process lock held as a directory that holds its owner's pid. It comes into being
 * whole: a directory with the pid is prepared beside it and renamed into place (atomic, and
 * refused while the lock exists), so a waiter always sees the owner and a killed process never
 * leaves a lock without one. A lock whose owner process is gone is taken over (takeOver: by
 * one taker only, however many find it at once), so a killed run never blocks the next one.
 * Released by renaming it aside first: removing it in place could remove, half-way, the lock
 * of the next owner.
 */
export async function withDirLock<T>(
  lockDir: string,
  onWait: (ownerPid: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  const unique = `${process.pid}.${randomUUID().slice(0, 8)}`;
  const staged = `${lockDir}.${unique}`;
  await mkdir(staged, { recursive: true });
  await writeFile(join(staged, 'pid'), String(process.pid));
  let warned = false;
  try {
    for (;;) {
      try {
        await rename(staged, lockDir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
      const state = await lockState(lockDir);
      if (state === undefined || state.kind === 'gone') continue;
      if (state.kind === 'stale') {
        if (!(await takeOver(lockDir, state))) await sleep(50);
        continue;
      }
      if (!warned && state.pid !== undefined) {
        onWait(state.pid);
        warned = true;
      }
      await sleep(1000);
    }
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
  try {
    return await body();
  } finally {
    const released = `${lockDir}.released-${unique}`;
    await rename(lockDir, released).then(
      () => rm(released, { recursive: true, force: true }),
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error; // already gone (its cache entry removed)
      },
    );
  }
}
