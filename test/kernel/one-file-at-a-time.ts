/**
 * Setup file of the kernel project: one kernel test file at a time, whichever worker runs it (two
 * kernel builds or guests must never share the two cores), while the unit files run on the other
 * worker. vitest runs a project whose files may not run in parallel only after all other files
 * (its "sequential" group): the unit files then held both workers for the first 22 minutes of a
 * fresh run while no kernel file ran. So the kernel project runs in the shared pool, and each of
 * its files waits here, before its module is even imported (its top-level work included), for a
 * lock that it holds until its last hook; ./sequencer.ts puts one kernel file first and the rest
 * after the unit files, so the waiting never keeps a worker from the unit files.
 */
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { cacheRoot } from '../../src/util/cache.js';
import { withDirLock } from '../../src/util/lock.js';

const LOCK = join(cacheRoot(), 'kernel-test-file.lock');

let release!: () => void;
const done = new Promise<void>((resolve) => {
  release = resolve;
});
await new Promise<void>((acquired, failed) => {
  withDirLock(
    LOCK,
    (pid) => process.stderr.write(`kernel test file: waiting for process ${pid}, which runs another one\n`),
    async () => {
      acquired();
      await done;
    },
  ).catch(failed);
});
afterAll(() => release());
