/**
 * Global setup of the kernel project: the Debian releases under test are chosen once per run
 * from the archive's lists (./releases.ts), printed once, and handed to every test file. A
 * failure to choose is handed over too: only the files that need the releases fail with it.
 */
import type { TestProject } from 'vitest/node';
import { describeChoice, releaseChoice } from './releases.js';

export default async function setup(project: TestProject): Promise<void> {
  const choice = await releaseChoice();
  process.stderr.write(
    choice.ok ? `${describeChoice(choice.value)}\n` : `Debian kernel releases under test: none: ${choice.message}\n`,
  );
  project.provide('debianTestReleases', choice);
}
