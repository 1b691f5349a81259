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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheRoot } from '../../src/util/cache.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface BackgroundBuild {
  log: string;
  /** Stop the build if it still runs (the next provisioning resumes it). */
  stop(): Promise<void>;
}

export function startBackgroundTestKernel(): BackgroundBuild | undefined {
  if (process.env.TSBP_BACKGROUND_TEST_KERNEL === '0') return undefined;
  const dir = join(cacheRoot(), 'test-kernel');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'background.log');
  writeFileSync(log, '');
  const child = execa(
    'nice',
    ['-n', '19', join(REPO, 'node_modules/.bin/tsx'), join(REPO, 'scripts/test-kernel.ts'), '--json'],
    {
      cwd: REPO,
      detached: true,
      stdin: 'ignore',
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
      reject: false,
    },
  );
  let finished = false;
  void child.then(() => {
    finished = true;
  });
  return {
    log,
    async stop() {
      if (finished || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      await child;
    },
  };
}
