import { availableParallelism } from 'node:os';
import type { TargetKernel } from '../kernel/target-kernel.js';
import type { Logger } from '../util/log.js';
import { runnerForTarget } from '../toolchain/builder-choice.js';
import { preparePreparedTree } from './prepared-tree.js';
import type { Runner } from '../toolchain/runner.js';
import { prepareWorkTree, type WorkTree } from './work-tree.js';

/**
 * The tool's tree for a target: fully built once, or prepared (objects built per patch), built
 * where the target's compiler is: RUNNER, or RUNNER's engine on the builder image of the
 * target's distribution release (the tree's runner, which builds everything for it).
 */
export async function treeForTarget(options: {
  target: TargetKernel;
  runner: Runner;
  log: Logger;
  jobs?: number;
  skipCompilerCheck?: boolean;
}): Promise<WorkTree> {
  const jobs = options.jobs ?? availableParallelism();
  const runner = await runnerForTarget(options.runner, options.target);
  return options.target.build.kind === 'prepared'
    ? preparePreparedTree({ ...options, runner, jobs })
    : prepareWorkTree({ ...options, runner, jobs });
}
