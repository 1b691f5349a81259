/** The cache listing and prune outcomes as text for people and as JSON. */
import type { CacheListing, ListedEntry } from './listing.js';
import type { PruneOutcome } from './prune.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatAge(ms: number): string {
  const minutes = Math.max(0, ms) / 60_000;
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${Math.floor(minutes)} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return `${Math.floor(minutes / (24 * 60))} days ago`;
}

/** An entry as JSON: what it is, its sizes, its last use (ISO time and age in days). */
export function entryJson(entry: ListedEntry, nowMs: number) {
  return {
    kind: entry.kind,
    name: entry.name,
    ...(entry.release ? { release: entry.release } : {}),
    path: entry.path,
    bytes: entry.bytes,
    reclaimable: entry.reclaimable,
    lastUsed: new Date(entry.lastUsedMs).toISOString(),
    ageDays: Number(((nowMs - entry.lastUsedMs) / 86_400_000).toFixed(2)),
    ...(entry.inUse ? { inUse: entry.inUse } : {}),
  };
}

function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatListing(listing: CacheListing, nowMs: number): string {
  if (listing.entries.length === 0) return `the cache ${listing.root} is empty\n`;
  const rows = [['KIND', 'NAME', 'RELEASE', 'SIZE', 'RECLAIMABLE', 'LAST USED', 'IN USE']];
  for (const entry of listing.entries) {
    rows.push([
      entry.kind,
      entry.name,
      entry.release ?? '-',
      formatBytes(entry.bytes),
      formatBytes(entry.reclaimable),
      formatAge(nowMs - entry.lastUsedMs),
      entry.inUse ?? '',
    ]);
  }
  return `${table(rows)}total ${formatBytes(listing.totalBytes)} in ${listing.entries.length} entries under ${listing.root}\n`;
}

export function formatPrune(outcomes: readonly PruneOutcome[]): string {
  if (outcomes.length === 0) return 'nothing to remove\n';
  const lines = outcomes.map(({ entry, outcome, reason }) => {
    const what = `${entry.kind} ${entry.name}${entry.release ? ` (${entry.release})` : ''}`;
    const slots = entry.inner.length > 0 ? `, with its ${entry.inner.length} slot(s)` : '';
    if (outcome === 'in-use') return `${'kept'.padEnd(12)} ${what}: ${reason}`;
    return `${(outcome === 'removed' ? 'removed' : 'would remove').padEnd(12)} ${what}${slots}: ${formatBytes(entry.reclaimable)}`;
  });
  const freed = outcomes.filter((o) => o.outcome !== 'in-use').reduce((sum, o) => sum + o.entry.reclaimable, 0);
  const verb = outcomes.some((o) => o.outcome === 'would-remove') ? 'would free' : 'freed';
  return `${lines.join('\n')}\n${verb} ${formatBytes(freed)}\n`;
}
