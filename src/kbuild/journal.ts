import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/log.js';
import { processAlive } from '../util/lock.js';
import { stopLeftovers } from './leftovers.js';

/**
 * A record of every file of the work tree that a patched build is about to change, with a
 * backup of its content and times. Written to disk before the first change, so that a run
 * that dies at any point (even SIGKILL) is repaired at the next start; removed when the tree
 * is exactly as before.
 */
interface JournalRecord {
  path: string;
  existed: boolean;
  backup?: string;
}

/**
 * Copy a file with its mode and times to the nanosecond (cp -p uses utimensat; Node's utimes
 * takes seconds as a double and would round them). For journals of earlier versions. The old
 * file is removed first, never written: it may be a hard link shared with another tree.
 */
async function copyExactly(from: string, to: string): Promise<void> {
  await execa('cp', ['-p', '--remove-destination', '--', from, to]);
}

/**
 * Copy absolute PATHS (as found under FROM) to the same paths under TO, content, mode and
 * times to the nanosecond, with one tar pair (POSIX format keeps sub-second times). tar
 * removes a file before extracting over it, so a hard link shared with another tree is
 * replaced, never written through.
 */
async function copyTree(paths: readonly string[], from: string, to: string): Promise<void> {
  if (paths.length === 0) return;
  const list = paths.map((p) => p.replace(/^\/+/, '')).join('\0');
  const result = await execa(
    'sh',
    ['-c', 'tar --format=posix --null -C "$1" -cf - -T - | tar -xpf - -C "$2"', 'copy', from, to],
    {
      input: list,
      reject: false,
      all: true,
    },
  );
  if (result.failed)
    throw new Error(
      `copying ${paths.length} files from ${from} to ${to} failed: ${String(result.all).trim().split('\n').slice(-3).join('; ')}`,
    );
}

interface JournalFile {
  pid: number;
  started: string;
  records: JournalRecord[];
}

const JOURNAL = 'patch-journal.json';

export class TreeJournal {
  private readonly records: JournalRecord[] = [];
  private readonly protectedPaths = new Set<string>();
  private restoring: Promise<void> | undefined;

  private constructor(private readonly entry: string) {}

  private get backupDir() {
    return join(this.entry, 'patch-backup');
  }

  /** Start a journal in a cache entry (after repairing what an earlier run may have left). */
  static async begin(entry: string, log: Logger): Promise<TreeJournal> {
    await repairWorkTree(entry, log);
    const journal = new TreeJournal(entry);
    await rm(journal.backupDir, { recursive: true, force: true });
    await mkdir(journal.backupDir, { recursive: true });
    await journal.save();
    return journal;
  }

  private async save(): Promise<void> {
    const file: JournalFile = { pid: process.pid, started: new Date().toISOString(), records: this.records };
    const staged = join(this.entry, `${JOURNAL}.tmp`);
    await writeFile(staged, JSON.stringify(file));
    await rename(staged, join(this.entry, JOURNAL));
  }

  /**
   * Back up files before they are changed (or record that they did not exist): one copy for all
   * of them (hundreds of generated files at times), kept under the backup directory at their
   * own paths.
   */
  async protect(paths: readonly string[]): Promise<void> {
    const mirror = join(this.backupDir, 'tree');
    const fresh: JournalRecord[] = [];
    for (const path of new Set(paths)) {
      if (this.protectedPaths.has(path)) continue;
      this.protectedPaths.add(path);
      const existed = await stat(path).then(
        (info) => info.isFile(),
        () => false,
      );
      fresh.push(existed ? { path, existed, backup: join(mirror, path) } : { path, existed });
    }
    await mkdir(mirror, { recursive: true });
    await copyTree(
      fresh.filter((r) => r.existed).map((r) => r.path),
      '/',
      mirror,
    );
    this.records.push(...fresh);
    await this.save();
  }

  /** Put every protected file back as it was, content and times; idempotent. */
  restore(): Promise<void> {
    this.restoring ??= restoreRecords(this.entry, this.records);
    return this.restoring;
  }
}

async function restoreRecords(entry: string, records: readonly JournalRecord[]): Promise<void> {
  // Backups kept at their own paths under patch-backup/tree go back with one copy; a journal an
  // earlier version left (one numbered backup per file) is restored file by file.
  const mirror = join(entry, 'patch-backup', 'tree');
  const mirrored = records.filter((r) => r.existed && r.backup === join(mirror, r.path));
  await copyTree(
    mirrored.map((r) => r.path),
    mirror,
    '/',
  );
  for (const record of [...records].reverse()) {
    if (mirrored.includes(record)) continue;
    if (!record.existed || !record.backup) {
      await rm(record.path, { force: true });
      continue;
    }
    await mkdir(dirname(record.path), { recursive: true });
    await copyExactly(record.backup, record.path);
  }
  await rm(join(entry, JOURNAL), { force: true });
  await rm(join(entry, 'patch-backup'), { recursive: true, force: true });
}

/** If a run died while the tree was patched, put the tree back. Returns whether it did. */
export async function repairWorkTree(entry: string, log: Logger): Promise<boolean> {
  const text = await readFile(join(entry, JOURNAL), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const journal = JSON.parse(text) as JournalFile;
  if (journal.pid !== process.pid && processAlive(journal.pid)) return false; // a live run owns it
  log(
    `repairing the work tree: run ${journal.pid} of ${journal.started} did not finish (${journal.records.length} files to restore)`,
  );
  await stopLeftovers(journal.pid, join(entry, 'linux'), log);
  await restoreRecords(entry, journal.records);
  return true;
}
