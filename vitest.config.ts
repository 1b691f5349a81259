import { defineConfig } from 'vitest/config';
import { TestKernelLastSequencer } from './test/kernel/sequencer.js';

// Two projects: fast unit tests, and kernel/VM tests that build and boot a real kernel.
export default defineConfig({
  test: {
    // Kernel files on Debian's kernels first, while the test kernel builds in the background.
    sequence: { sequencer: TestKernelLastSequencer },
    // Two workers on two cores (vitest's default leaves one core out: one worker here): the
    // kernel files go one at a time through one of them while the unit files take the other.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          // The Debian releases under test, chosen once per run from the archive's lists.
          globalSetup: ['test/kernel/debian/global-setup.ts'],
          // One test file at a time, because two kernel builds must never share the two cores,
          // beside the unit files (see the setup file; fileParallelism: false would run every
          // kernel file after all unit files).
          setupFiles: ['test/kernel/one-file-at-a-time.ts'],
          // Provisioning the test kernel from scratch takes minutes.
          testTimeout: 45 * 60_000,
          hookTimeout: 45 * 60_000,
        },
      },
    ],
  },
});
