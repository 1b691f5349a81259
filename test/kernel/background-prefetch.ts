/**
 * The kernel tests' downloads, fetched in the background from the start of a run
 * (./prefetch-inputs.ts): on a fresh machine each test file otherwise waits for its release's
 * packages (about 1 GB each: seven releases), its builder image (debootstrap) and the system VM's
 * root disk (debootstrap) when it first needs them, while the network sits idle the rest of the
 * time. At nice 19, beside the test kernel's background build (./background-test-kernel.ts). On a
 * warm cache every step finds its input done in a moment.
 *
 * Only for a run of the whole suite: a run of chosen files (a file or folder named on vitest's
 * command line) fetches what it needs itself. TSBP_BACKGROUND_PREFETCH=0 turns it off, =1 on.
 */
import { join } from 'node:path';
import { cacheRoot } from '../../src/util/cache.js';
import { startBackgroundJob, type BackgroundJob } from './background-job.js';

/**
 * Start fetching for the Debian 12 RELEASES under test (newest, older) and the Debian 13 ones.
 * Stopping it leaves each input to its next user, which fetches it again under its lock.
 */
export function startBackgroundPrefetch(releases: readonly string[]): BackgroundJob | undefined {
  const asked = process.env.TSBP_BACKGROUND_PREFETCH;
  const chosenFiles = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /(^|\/)test\/|\.test\.ts$/.test(arg));
  if (asked === '0' || (chosenFiles && asked !== '1')) return undefined;
  return startBackgroundJob('test/kernel/prefetch-inputs.ts', releases, join(cacheRoot(), 'prefetch.log'));
}
