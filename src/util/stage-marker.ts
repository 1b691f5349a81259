import { access, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Run a step of a cache entry once: a marker file is written only after the step succeeded,
 * so an interrupted step is redone at the next call and never taken as complete.
 */
export async function onceMarked(entry: string, marker: string, step: () => Promise<void>): Promise<boolean> {
  if (await isMarked(entry, marker)) return false;
  await step();
  await writeFile(join(entry, `${marker}.ok`), new Date().toISOString() + '\n');
  return true;
}

/** Whether the step MARKER of a cache entry has completed. */
export function isMarked(entry: string, marker: string): Promise<boolean> {
  return access(join(entry, `${marker}.ok`)).then(
    () => true,
    () => false,
  );
}

/** When the step MARKER of a cache entry completed (its marker's mtime, in ns), if it has. */
export async function markedAtNs(entry: string, marker: string): Promise<bigint | undefined> {
  return (await stat(join(entry, `${marker}.ok`), { bigint: true }).catch(() => undefined))?.mtimeNs;
}
