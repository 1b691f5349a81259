import { availableParallelism } from 'node:os';
import type { TargetKernel } from '../kernels/target-kernel.js';
import type { Logger } from '../util/log.js';
import { preparePreparedTree } from './prepared-tree.js';
import type { Runner } from './runner.js';
import { prepareWorkTree, type WorkTree } from './work-tree.js';

/** The tool's tree for a target: fully built once, or prepared (objects built per patch). */
export function treeForTarget(options: { target: TargetKernel; runner: Runner; log: Logger; jobs?: number; skipCompilerCheck?: boolean }): Promise<WorkTree> {
  const jobs = options.jobs ?? availableParallelism();
  return options.target.build.kind === 'prepared'
    ? preparePreparedTree({ ...options, jobs })
    : prepareWorkTree({ ...options, jobs });
}
