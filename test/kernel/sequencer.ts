/**
 * The order of the kernel files, in three groups: those on Debian 12's kernels first, then those
 * that also need Debian 13's or the backports' kernels, then those that need the built-in test
 * kernel. The background work of a run follows that order: the prefetch fetches Debian 12's
 * inputs first, then Debian 13's (./background-prefetch.ts), and the test kernel builds meanwhile
 * (./background-test-kernel.ts). Within each group, and for the unit project, vitest's own order
 * (longest or failed first from its cache, else larger files first).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Folders (and files) of kernel tests that run on Debian's kernels, not on the test kernel. */
const ON_DEBIAN_KERNELS = [
  'test/kernel/debian/',
  'test/kernel/debian13/',
  'test/kernel/deploy/',
  'test/kernel/corpus/',
  'test/kernel/ci/',
  'test/kernel/fresh-machine.test.ts',
];

/** Whether a kernel test file provisions the test kernel (directly or through the harness's default). */
export function needsTestKernel(file: string, text: string): boolean {
  if (!ON_DEBIAN_KERNELS.some((prefix) => file.startsWith(prefix))) return true;
  return /\btestKernel\(\)/.test(text);
}

/** A kernel test file's group: 0 Debian 12 only, 1 also Debian 13 or the backports, 2 the test kernel. */
export function kernelFileGroup(file: string, text: string): number {
  if (needsTestKernel(file, text)) return 2;
  return file.startsWith('test/kernel/debian13/') || /\bdebian13TestReleases\b/.test(text) ? 1 : 0;
}

export class TestKernelLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const group = new Map(
      sorted.map((spec) => [
        spec,
        spec.project.name === 'kernel'
          ? kernelFileGroup(relative(root, spec.moduleId), readFileSync(spec.moduleId, 'utf8'))
          : 0,
      ]),
    );
    // A stable sort: vitest's order within each group.
    const kernel = sorted
      .filter((spec) => spec.project.name === 'kernel')
      .sort((a, b) => group.get(a)! - group.get(b)!);
    const others = sorted.filter((spec) => spec.project.name !== 'kernel');
    // One kernel file first, then the unit files, then the other kernel files: the kernel files
    // run one at a time (./one-file-at-a-time.ts) and are most of a run, so one worker starts
    // on them at once while the other goes through the unit files; a second kernel file early
    // would only hold a worker waiting.
    return [...kernel.slice(0, 1), ...others, ...kernel.slice(1)];
  }
}
