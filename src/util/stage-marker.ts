import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Run a step of a cache entry once: a marker file is written only after the step succeeded,
 * so an interrupted step is redone at the next call and never taken as complete.
 */
export async function onceMarked(entry: string, marker: string, step: () => Promise<void>): Promise<boolean> {
  const path = join(entry, `${marker}.ok`);
  const done = await access(path).then(() => true, () => false);
  if (done) return false;
  await step();
  await writeFile(path, new Date().toISOString() + '\n');
  return true;
}
