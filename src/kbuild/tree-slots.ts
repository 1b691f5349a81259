/**
 * Copies of a prepared tree, so that several patches of one batch build at once: a patch is
 * applied to a tree, its objects compiled and the tree put back, all under the tree's lock, so
 * one tree builds one patch at a time. Copy N lives in the tree's cache entry (slots/N/linux),
 * made once from the pristine tree, originals compiled so far included; each copy then keeps
 * the originals its own patches compiled. A copy of a prepared tree stays valid for the same
 * reason the tree does: kbuild rebuilds whatever is stale (the first build in a copy relinks
 * a few host tools whose commands name the tree's path). A copy shares the tree's sources through
 * hard links and owns its build outputs (src/kbuild/linked-copy.ts): tens of MB, not the tree's
 * 1.5 GB.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { isMarked, markedAtNs, onceMarked } from '../util/stage-marker.js';
import { repairWorkTree } from './journal.js';
import { linkedTreeCopy } from './linked-copy.js';

/** The lock a tree is patched, built and read under (one patch at a time). */
export const treeLock = (entry: string) => join(entry, 'patch.lock');

/** Copy INDEX (1, 2, ...) of the tree in cache entry BASEENTRY: its cache entry and tree. */
export async function treeCopy(
  baseEntry: string,
  baseDir: string,
  index: number,
  log: Logger,
): Promise<{ entry: string; dir: string }> {
  const entry = join(baseEntry, 'slots', String(index));
  const dir = join(entry, 'linux');
  // Made already: no need to wait for the tree's lock.
  if (await isMarked(entry, 'copied')) return { entry, dir };
  await mkdir(entry, { recursive: true });
  // Copied from the pristine tree: under its lock, after repairing what a killed run left.
  await withDirLock(
    treeLock(baseEntry),
    (pid) => log(`waiting for process ${pid}, which is using ${baseDir}`),
    async () => {
      await repairWorkTree(baseEntry, log);
      await onceMarked(entry, 'copied', async () => {
        log(`copying the prepared tree for parallel build ${index} (once): ${dir}`);
        const started = Date.now();
        await rm(`${dir}.tmp`, { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
        // The tree's sources are what its `populated` step unpacked (a prepared tree's first step).
        const copied = await linkedTreeCopy(baseDir, `${dir}.tmp`, {
          sourcesBeforeNs: await markedAtNs(baseEntry, 'populated'),
        });
        await rename(`${dir}.tmp`, dir);
        log(
          `tree copied in ${((Date.now() - started) / 1000).toFixed(0)} s (${copied.linked} sources shared with the tree, ${copied.copied} build files copied)`,
        );
      });
    },
  );
  return { entry, dir };
}
