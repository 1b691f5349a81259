import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Whether the lock at LOCKDIR can be taken over, and who holds it otherwise. */
async function lockOwner(lockDir: string): Promise<{ stale: boolean; pid?: number }> {
  const pid = Number.parseInt(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''), 10);
  if (Number.isFinite(pid)) return processAlive(pid) ? { stale: false, pid } : { stale: true };
  const info = await stat(lockDir).catch(() => undefined);
  return { stale: info !== undefined && Date.now() - info.mtimeMs > OWNERLESS_LOCK_MS };
}

/**
 * A cross-process lock held as a directory that holds its owner's pid. It comes into being
 * whole: a directory with the pid is prepared beside it and renamed into place (atomic, and
 * refused while the lock exists), so a waiter always sees the owner and a killed process never
 * leaves a lock without one. A lock whose owner process is gone is taken over, so a killed run
 * never blocks the next one.
 */
export async function withDirLock<T>(
  lockDir: string,
  onWait: (ownerPid: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  const staged = `${lockDir}.${process.pid}.${randomUUID().slice(0, 8)}`;
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
      const owner = await lockOwner(lockDir);
      if (owner.stale) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!warned && owner.pid !== undefined) {
        onWait(owner.pid);
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
    await rm(lockDir, { recursive: true, force: true });
  }
}
