/**
 * Global setup of the kernel project: the Debian releases under test are chosen once per run
 * from the archive's lists (./releases.ts), printed once, and handed to every test file. A
 * failure to choose is handed over too: only the files that need the releases fail with it.
 * It also starts the test kernel's build (../background-test-kernel.ts) and the fetching of the
 * tests' downloads (../background-prefetch.ts) in the background, and stops them at the end if
 * they still run.
 */
import type { TestProject } from 'vitest/node';
import { describeChoice, releaseChoice } from './releases.js';
import { startBackgroundTestKernel } from '../background-test-kernel.js';
import { startBackgroundPrefetch } from '../background-prefetch.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const background = startBackgroundTestKernel();
  if (background)
    process.stderr.write(`test kernel: provisioned in the background at nice 19 (log: ${background.log})\n`);
  const choice = await releaseChoice();
  process.stderr.write(
    choice.ok ? `${describeChoice(choice.value)}\n` : `Debian kernel releases under test: none: ${choice.message}\n`,
  );
  project.provide('debianTestReleases', choice);
  const prefetch = startBackgroundPrefetch(choice.ok ? choice.value.releases : []);
  if (prefetch) process.stderr.write(`test downloads: fetched in the background at nice 19 (log: ${prefetch.log})\n`);
  return async () => {
    await prefetch?.stop();
    await background?.stop();
  };
}
