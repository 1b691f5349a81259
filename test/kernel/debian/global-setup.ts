/**
 * Global setup of the kernel project: the Debian releases under test are chosen once per run
 * from the archive's lists (./releases.ts), printed once, and handed to every test file. A
 * failure to choose is handed over too: only the files that need the releases fail with it.
 * It also starts the test kernel's build in the background (../background-test-kernel.ts) and
 * stops it at the end if it still runs.
 */
import type { TestProject } from 'vitest/node';
import { describeChoice, releaseChoice } from './releases.js';
import { startBackgroundTestKernel } from '../background-test-kernel.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const background = startBackgroundTestKernel();
  if (background)
    process.stderr.write(`test kernel: provisioned in the background at nice 19 (log: ${background.log})\n`);
  const choice = await releaseChoice();
  process.stderr.write(
    choice.ok ? `${describeChoice(choice.value)}\n` : `Debian kernel releases under test: none: ${choice.message}\n`,
  );
  project.provide('debianTestReleases', choice);
  return async () => {
    await background?.stop();
  };
}
