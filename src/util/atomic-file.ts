/**
 * Files of the cache that later runs read back: written whole or not at all, and read so that
 * a damaged one is rebuilt instead of breaking every run after it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';
import { stderrLogger, type Logger } from './log.js';

/**
 * Write DATA to PATH atomically: into a file of its own beside PATH (same directory, so the
 * same file system), then renamed over PATH. A reader sees the old file, the new one, or none;
 * a write that fails or is killed half-way leaves nothing at PATH.
 */
export async function writeFileAtomic(path: string, data: Parameters<typeof writeFile>[1]): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const staged = join(dir, `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await writeFile(staged, data);
    await rename(staged, path);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
}

/**
 * The JSON value cached at PATH, or undefined when there is none or it cannot be parsed (a file
 * cut short by a crash, a full disk): then LOG says so, and the caller rebuilds the entry. A file
 * that exists but cannot be read is an error.
 */
export async function readJsonCache<T>(path: string, log: Logger = stderrLogger): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read the cache file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    log(`the cache file ${path} is damaged (${(error as Error).message}); rebuilding it`);
    return undefined;
  }
}
