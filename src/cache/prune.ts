/**
 * `cache prune`: remove the cache entries a filter selects, never one in use. An entry is
 * removed under its own locks (taken without waiting: a lock held means in use), after a last
 * check, by moving it out of the way in one rename (`.removing-<pid>-<n>` at the cache root)
 * and deleting that; a process that comes for the entry afterwards finds it absent and makes
 * it again. A removal killed halfway leaves its `.removing-` directory, which the next prune
 * removes.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withDirLock } from '../util/lock.js';
import { REMOVING_PREFIX, withInner, type CacheEntry, type CacheEntryKind } from './entries.js';
import { whyInUse, type LiveRun } from './in-use.js';
import type { ListedEntry } from './listing.js';

export interface PruneFilter {
  /** Entries last used more than this many days ago. */
  olderThanDays?: number;
  /** Entries for this kernel release. */
  release?: string;
  kinds?: readonly CacheEntryKind[];
  /** No filter needed: everything not in use. */
  all?: boolean;
}

export interface PruneOutcome {
  entry: ListedEntry;
  outcome: 'removed' | 'would-remove' | 'in-use';
  /** Why it was kept. */
  reason?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether FILTER selects ENTRY (every criterion given must hold). */
export function selects(filter: PruneFilter, entry: ListedEntry, nowMs: number): boolean {
  if (!entry.prunable) return false;
  if (filter.olderThanDays !== undefined && nowMs - entry.lastUsedMs <= filter.olderThanDays * DAY_MS) return false;
  if (filter.release !== undefined && entry.release !== filter.release) return false;
  if (filter.kinds !== undefined && !filter.kinds.includes(entry.kind)) return false;
  return (
    filter.all === true ||
    filter.olderThanDays !== undefined ||
    filter.release !== undefined ||
    filter.kinds !== undefined
  );
}

class InUse extends Error {}

/** Run BODY holding every lock in LOCKS, or throw InUse at the first one held by another. */
async function holdingLocks<T>(locks: readonly string[], body: () => Promise<T>): Promise<T> {
  const [first, ...rest] = locks;
  if (first === undefined) return body();
  return withDirLock(
    first,
    (pid) => {
      throw new InUse(`locked by process ${pid}`);
    },
    () => holdingLocks(rest, body),
  );
}

let removals = 0;

/** Remove ENTRY (with the entries inside it) unless it is in use: undefined, or why it was kept. */
async function removeEntry(root: string, entry: CacheEntry, runs: readonly LiveRun[]): Promise<string | undefined> {
  const locks = [...new Set(withInner(entry).flatMap((part) => part.locks))];
  try {
    return await holdingLocks(locks, async () => {
      const reason = await whyInUse(entry, { runs, ownLocks: new Set(locks) });
      if (reason) return reason;
      const away = join(root, `${REMOVING_PREFIX}${process.pid}-${removals++}`);
      await rename(entry.path, away);
      await rm(away, { recursive: true, force: true });
      return undefined;
    });
  } catch (error) {
    if (error instanceof InUse) return error.message;
    throw error;
  }
}

export interface PruneOptions {
  root: string;
  /** Every entry as listed (src/cache/listing.ts), with the live runs found while listing. */
  entries: readonly ListedEntry[];
  runs: readonly LiveRun[];
  filter: PruneFilter;
  dryRun?: boolean;
  nowMs?: number;
}

/**
 * Remove the entries FILTER selects, except those in use. An entry inside one that is removed
 * (a tree's slot) goes with it and is not reported on its own; inside one that is kept, it is
 * considered on its own (a tree in use, a slot that is not).
 */
export async function pruneCache(options: PruneOptions): Promise<PruneOutcome[]> {
  const nowMs = options.nowMs ?? Date.now();
  const listed = new Map(options.entries.map((entry) => [entry.path, entry]));
  const outcomes: PruneOutcome[] = [];
  const prune = async (entry: ListedEntry): Promise<void> => {
    if (!selects(options.filter, entry, nowMs)) {
      for (const inner of entry.inner) await prune(listed.get(inner.path)!);
      return;
    }
    const reason = entry.inUse ?? (options.dryRun ? undefined : await removeEntry(options.root, entry, options.runs));
    if (reason === undefined) {
      outcomes.push({ entry, outcome: options.dryRun ? 'would-remove' : 'removed' });
      return;
    }
    outcomes.push({ entry, outcome: 'in-use', reason });
    for (const inner of entry.inner) await prune(listed.get(inner.path)!);
  };
  const inner = new Set(options.entries.flatMap((entry) => entry.inner.map((e) => e.path)));
  for (const entry of options.entries.filter((e) => !inner.has(e.path))) await prune(entry);
  return outcomes;
}
