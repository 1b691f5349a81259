/**
 * Space on disk of cache entries, as du counts it: allocated blocks, a file with several hard
 * links (a tree's sources, shared with its slots) once. Entries are measured in order and an
 * inode counts for the first entry that holds it, so the sizes add up to the cache's total;
 * what removing an entry would free is counted apart (its inodes with no link elsewhere).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

interface FileRecord {
  inode: string;
  bytes: number;
  /** Hard links of a file (a directory's count is its subdirectories': never compared). */
  links: number;
  directory: boolean;
  mtimeMs: number;
}

export interface DiskUsage {
  /** Blocks of the inodes first seen in this entry (its inner entries left out). */
  bytes: number;
  /** What removing it (with its inner entries) frees: inodes with no link outside it. */
  reclaimable: number;
  /** The newest modification in it (its inner entries included), in ms since the epoch. */
  newestMs: number;
}

/** Every file and directory under PATH (PATH included), except those under SKIP. */
async function walk(path: string, skip: ReadonlySet<string>): Promise<FileRecord[]> {
  const records: FileRecord[] = [];
  const visit = async (at: string): Promise<void> => {
    const info = await lstat(at, { bigint: true }).catch(() => undefined);
    if (!info) return; // gone while walking
    records.push({
      inode: `${info.dev}:${info.ino}`,
      bytes: Number(info.blocks * 512n),
      links: Number(info.nlink),
      directory: info.isDirectory(),
      mtimeMs: Number(info.mtimeMs),
    });
    if (!info.isDirectory()) return;
    const names = await readdir(at).catch(() => [] as string[]);
    const inside = names.map((name) => join(at, name)).filter((child) => !skip.has(child));
    for (let i = 0; i < inside.length; i += 256) await Promise.all(inside.slice(i, i + 256).map(visit));
  };
  await visit(path);
  return records;
}

export interface MeasuredEntry {
  path: string;
  /** Paths of the entries inside it (measured as entries of their own). */
  inner: readonly string[];
}

/** The disk usage of each of ENTRIES (in the order given; an entry's inner ones come after it). */
export async function measureEntries(entries: readonly MeasuredEntry[]): Promise<DiskUsage[]> {
  const own = new Map<string, FileRecord[]>();
  for (const entry of entries) own.set(entry.path, await walk(entry.path, new Set(entry.inner)));
  const seen = new Set<string>();
  const recordsOf = (entry: MeasuredEntry): FileRecord[] => [
    ...(own.get(entry.path) ?? []),
    ...entry.inner.flatMap((inner) => recordsOf(entries.find((e) => e.path === inner) ?? { path: inner, inner: [] })),
  ];
  return entries.map((entry) => {
    let bytes = 0;
    for (const record of own.get(entry.path)!) {
      if (seen.has(record.inode)) continue;
      seen.add(record.inode);
      bytes += record.bytes;
    }
    const all = recordsOf(entry);
    const linksInside = new Map<string, number>();
    for (const record of all) linksInside.set(record.inode, (linksInside.get(record.inode) ?? 0) + 1);
    let reclaimable = 0;
    let newestMs = 0;
    const counted = new Set<string>();
    for (const record of all) {
      newestMs = Math.max(newestMs, record.mtimeMs);
      if (counted.has(record.inode)) continue;
      counted.add(record.inode);
      if (record.directory || linksInside.get(record.inode)! >= record.links) reclaimable += record.bytes;
    }
    return { bytes, reclaimable, newestMs };
  });
}
