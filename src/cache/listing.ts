/** `cache list`: every entry of the cache with its size on disk, last use and whether it is in use. */
import { findCacheEntries, withInner, type CacheEntry } from './entries.js';
import { measureEntries } from './disk-usage.js';
import { liveRuns, whyInUse, type LiveRun } from './in-use.js';

export interface ListedEntry extends CacheEntry {
  /** Space on disk first held by this entry (a hard-linked file counted once, where first seen). */
  bytes: number;
  /** What removing it would free (with the entries inside it). */
  reclaimable: number;
  /** The newest change in it: its last use (a run takes a lock in every entry it uses). */
  lastUsedMs: number;
  /** Why it is in use, when it is. */
  inUse?: string;
}

export interface CacheListing {
  root: string;
  /** Entries in listing order (a tree's slots right after it). */
  entries: ListedEntry[];
  totalBytes: number;
  runs: LiveRun[];
}

export async function listCache(root: string): Promise<CacheListing> {
  const found = (await findCacheEntries(root)).flatMap(withInner);
  const usage = await measureEntries(
    found.map((entry) => ({ path: entry.path, inner: entry.inner.map((inner) => inner.path) })),
  );
  const runs = await liveRuns(found);
  const entries: ListedEntry[] = [];
  for (const [i, entry] of found.entries()) {
    const inUse = await whyInUse(entry, { runs });
    const { bytes, reclaimable, newestMs } = usage[i]!;
    entries.push({ ...entry, bytes, reclaimable, lastUsedMs: newestMs, ...(inUse ? { inUse } : {}) });
  }
  return { root, entries, totalBytes: entries.reduce((sum, entry) => sum + entry.bytes, 0), runs };
}
