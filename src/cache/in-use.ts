/**
 * Whether a cache entry is in use, and by whom. An entry is in use while a live process
 * - holds one of its locks (src/util/lock.ts: a directory holding its owner's pid), or waits for
 *   one (its staged lock directory, `<lock>.<pid>.<id>`, beside it);
 * - has a patch journal in it (src/kbuild/journal.ts: a tree being patched);
 * - is a run whose log (runs/<time>-<pid>/run.log) names a path inside it: every run records
 *   the kernel files and the tree (or tree copy) it works with, and reads them between the
 *   moments it holds a lock (a batch, between two patches);
 * - is the run a run entry holds the logs of (until the run marks itself finished), or the
 *   removal a leftover is from.
 * A process that lives on after its run finished (a batch, between two patches) still counts
 * as using what its log names.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../util/lock.js';
import { withInner, type CacheEntry } from './entries.js';

/** A run still going: its pid and its log's text. */
export interface LiveRun {
  pid: number;
  name: string;
  log: string;
}

/** The runs of ENTRIES (run entries) whose process lives, other than this one, with their logs (finished or not). */
export async function liveRuns(entries: readonly CacheEntry[]): Promise<LiveRun[]> {
  const live = entries.filter(
    (e) => e.kind === 'run' && e.pid !== undefined && e.pid !== process.pid && processAlive(e.pid),
  );
  return Promise.all(
    live.map(async (e) => ({
      pid: e.pid!,
      name: e.name,
      log: await readFile(join(e.path, 'run.log'), 'utf8').catch(() => ''),
    })),
  );
}

const readPid = async (file: string) => Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);

/** Who holds or waits for LOCK: a live process, or undefined. */
async function lockUser(lock: string): Promise<string | undefined> {
  const held = await readPid(join(lock, 'pid'));
  if (Number.isInteger(held) && processAlive(held)) return `locked by process ${held} (${basename(lock)})`;
  const staged = new RegExp(`^${basename(lock).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]+$`);
  for (const name of await readdir(dirname(lock)).catch(() => [] as string[])) {
    const pid = Number(staged.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid))
      return `process ${pid} waits for its lock (${basename(lock)})`;
  }
  // A lock directory an older version left without an owner: taken over after a minute.
  if (
    !Number.isInteger(held) &&
    (await readdir(lock).then(
      () => true,
      () => false,
    ))
  )
    return `locked (${basename(lock)}, owner unknown)`;
  return undefined;
}

/** Whether a path occurs in TEXT as a whole path (not as the beginning of a longer name). */
function namesPath(text: string, path: string): boolean {
  for (let at = text.indexOf(path); at >= 0; at = text.indexOf(path, at + 1)) {
    if (!/[\w.-]/.test(text[at + path.length] ?? '')) return true;
  }
  return false;
}

export interface InUseOptions {
  runs: readonly LiveRun[];
  /** Locks this process holds itself (while removing): not a reason. */
  ownLocks?: ReadonlySet<string>;
}

/** Why ENTRY (with the entries inside it) is in use, or undefined when nothing uses it. */
export async function whyInUse(entry: CacheEntry, options: InUseOptions): Promise<string | undefined> {
  if (
    (entry.kind === 'run' || entry.kind === 'leftover') &&
    entry.pid !== undefined &&
    entry.pid !== process.pid &&
    processAlive(entry.pid)
  ) {
    if (entry.kind === 'leftover') return `process ${entry.pid} is removing it`;
    // A run marks itself over with this file (markRunFinished in src/util/run-logs.ts).
    if (
      !(await access(join(entry.path, 'finished')).then(
        () => true,
        () => false,
      ))
    )
      return `the run of process ${entry.pid} is still going`;
  }
  for (const part of withInner(entry)) {
    for (const lock of part.locks) {
      if (options.ownLocks?.has(lock)) continue;
      const user = await lockUser(lock);
      if (user) return part === entry ? user : `${user} of ${part.name}`;
    }
    const journal = await readFile(join(part.path, 'patch-journal.json'), 'utf8').then(
      (text) => (JSON.parse(text) as { pid?: number }).pid,
      () => undefined,
    );
    if (journal !== undefined && journal !== process.pid && processAlive(journal))
      return `process ${journal} is patching its tree`;
  }
  if (entry.kind === 'run') return undefined;
  const user = options.runs.find((run) => namesPath(run.log, entry.path));
  return user ? `used by the run of process ${user.pid} (runs/${user.name})` : undefined;
}
