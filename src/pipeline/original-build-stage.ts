/**
 * The original-build stage: the tree the objects are built in, for the target kernel (a prepared
 * tree, or a full build of a user's tree; src/kbuild/tree-for-target.ts), cached across runs.
 * A batch prepares it once for all its patches, and each patch builds in its own copy (a slot).
 */
import { compilerIdentity } from '../toolchain/compiler.js';
import type { Runner } from '../toolchain/runner.js';
import { treeForTarget } from '../kbuild/tree-for-target.js';
import type { WorkTree } from '../kbuild/work-tree.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import type { Logger } from '../util/log.js';

export interface OriginalBuildStageOptions {
  target: TargetKernel;
  runner: Runner;
  log: Logger;
  /** make jobs for preparing (or fully building) the tree. */
  jobs: number;
  skipCompilerCheck: boolean;
  /** One patch of a batch: the tree is shared (made by the first patch that needs it), and this patch builds in copy SLOT. */
  batch?: { shared: { tree?: Promise<WorkTree> }; slot: number } | undefined;
}

export async function originalBuildStage(options: OriginalBuildStageOptions): Promise<WorkTree> {
  const { batch, log } = options;
  const prepare = () =>
    treeForTarget({
      target: options.target,
      runner: options.runner,
      log,
      jobs: options.jobs,
      skipCompilerCheck: options.skipCompilerCheck,
    });
  const base = await (batch ? (batch.shared.tree ??= prepare()) : prepare());
  // A tree that cannot be copied is shared: its lock lets one patch at a time build in it.
  return batch && base.copy ? base.copy(batch.slot, log) : base;
}

/** One line for the run's debug log: the tree, its runner, jobs, make variables and compiler (its identity with COMPILER). */
export async function describeTree(tree: WorkTree, options: { jobs: number; compiler: boolean }): Promise<string> {
  const cc = tree.vars['CC'] ?? 'gcc';
  return (
    `tree ${tree.dir} (cache entry ${tree.entry}); runner ${tree.runner.description}; jobs ${options.jobs}; ` +
    `make variables: ${
      Object.entries(tree.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(none)'
    }; ` +
    `compiler ${cc}${tree.vars['CC'] ? '' : " (make's default)"}${options.compiler ? `: ${await compilerIdentity(cc).catch((e: Error) => e.message)}` : ''}`
  );
}
