import { defineConfig } from 'vitest/config';
import { TestKernelLastSequencer } from './test/kernel/sequencer.js';

// Two projects: fast unit tests, and kernel/VM tests that build and boot a real kernel.
export default defineConfig({
  test: {
    // Kernel files on Debian's kernels first, while the test kernel builds in the background.
    sequence: { sequencer: TestKernelLastSequencer },
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
          // Provisioning the test kernel from scratch takes minutes; one test file at a time
          // because two kernel builds must never share the two cores.
          testTimeout: 45 * 60_000,
          hookTimeout: 45 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
