/**
 * The order of the kernel files: those on Debian's own kernels first, those that need the
 * built-in test kernel after them, so that the test kernel can build in the background meanwhile
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

export class TestKernelLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const late = new Set(
      sorted.filter(
        (spec) =>
          spec.project.name === 'kernel' &&
          needsTestKernel(relative(root, spec.moduleId), readFileSync(spec.moduleId, 'utf8')),
      ),
    );
    return [...sorted.filter((spec) => !late.has(spec)), ...late];
  }
}
