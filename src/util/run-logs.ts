import { appendFileSync } from 'node:fs';
import { access, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from './cache.js';
import { processAlive } from './lock.js';

/** How many runs keep their logs; older ones are removed when a new run starts. */
export const KEPT_RUNS = 20;

/** Where the logs of every run are kept: `<cache>/runs/<timestamp>-<pid>/`. */
export function runsRoot(): string {
  return join(cacheRoot(), 'runs');
}

/** A sortable, file-name-safe timestamp: 2026-12-01T16-14-13-123Z. */
export function runStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

const RUN_NAME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-(\d+)(?:\.\d+)?$/;

/** The file in a run's directory that says the run is over (its logs complete). */
const FINISHED = 'finished';

/** Mark the run of DIR as over: from now on its directory may be pruned. */
export async function markRunFinished(dir: string): Promise<void> {
  // Like the log, never a reason to fail: without the mark the run is pruned once its process is gone.
  await writeFile(join(dir, FINISHED), `${new Date().toISOString()}\n`).catch(() => undefined);
}

/**
 * Whether the run NAME of ROOT is over: marked finished, or its process (the pid in its name)
 * is gone. A run still going keeps its directory, where its logs are still being written.
 */
async function runOver(root: string, name: string): Promise<boolean> {
  const pid = Number(RUN_NAME.exec(name)?.[1]);
  if (!processAlive(pid)) return true;
  return access(join(root, name, FINISHED)).then(
    () => true,
    () => false,
  );
}

/**
 * Remove the oldest run directories of ROOT so that at most KEEP remain (names sort by time;
 * anything that is not a run directory is left alone), except runs still going: those stay
 * even when more than KEEP others started meanwhile. Returns the removed names.
 */
export async function pruneRuns(root: string, keep: number, except?: string): Promise<string[]> {
  const names = (await readdir(root).catch(() => [] as string[])).filter((name) => RUN_NAME.test(name)).sort();
  const oldest = names.slice(0, Math.max(0, names.length - keep)).filter((name) => name !== except);
  const over = await Promise.all(oldest.map((name) => runOver(root, name)));
  const old = oldest.filter((_, i) => over[i]);
  await Promise.all(old.map((name) => rm(join(root, name), { recursive: true, force: true })));
  return old;
}

export interface RunDirOptions {
  root?: string;
  keep?: number;
  now?: Date;
  pid?: number;
}

/**
 * Create this run's log directory and drop the oldest runs beyond the last KEEP (this one
 * included). Two runs of one process started in the same millisecond (several releases built
 * together) get `<timestamp>-<pid>` and `<timestamp>-<pid>.1`.
 */
export async function createRunDir(options: RunDirOptions = {}): Promise<string> {
  const root = options.root ?? runsRoot();
  await mkdir(root, { recursive: true });
  const base = `${runStamp(options.now ?? new Date())}-${options.pid ?? process.pid}`;
  for (let n = 0; ; n++) {
    const name = n === 0 ? base : `${base}.${n}`;
    const created = await mkdir(join(root, name)).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    if (!created) continue;
    await pruneRuns(root, options.keep ?? KEPT_RUNS, name);
    return join(root, name);
  }
}

/** Appends timestamped lines to the run's `run.log` (synchronously: the lines survive a crash). */
export function runLogWriter(dir: string): (line: string) => void {
  const file = join(dir, 'run.log');
  return (line) => {
    try {
      appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // the log is a help, never a reason to fail
    }
  };
}
