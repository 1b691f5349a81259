/**
 * The test kernel, built in the background while the files on Debian's kernels run first
 * (./sequencer.ts). Those files boot their guests on one core (qemu TCG, -smp 1), wait for
 * downloads and build container images: the other core is idle for much of that time. A build at
 * nice 19 takes only that idle time, so on a fresh machine the test kernel is mostly ready when
 * the first file that needs it starts, instead of costing its ~10 minutes of both cores then.
 *
 * Nothing depends on this build succeeding: a file that needs the test kernel provisions it
 * itself (test-kernel.ts), waiting for this build's lock while it runs, and resuming or failing
 * with the real error if it did not finish. Set TSBP_BACKGROUND_TEST_KERNEL=0 to build it in the
 * foreground only.
 */
import { join } from 'node:path';
import { cacheRoot } from '../../src/util/cache.js';
import { startBackgroundJob, type BackgroundJob } from './background-job.js';

/** Stopping it leaves the build to the next provisioning, which resumes it. */
export function startBackgroundTestKernel(): BackgroundJob | undefined {
  if (process.env.TSBP_BACKGROUND_TEST_KERNEL === '0') return undefined;
  return startBackgroundJob('scripts/test-kernel.ts', ['--json'], join(cacheRoot(), 'test-kernel', 'background.log'));
}
