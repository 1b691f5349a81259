/**
 * The patched-build stage: the patches applied to the tree under a journal, only the objects they
 * affect rebuilt, originals and patched objects copied out, and the tree restored
 * (src/kbuild/patched-build.ts).
 */
import { buildPatched, type PatchedBuildResult } from '../kbuild/patched-build.js';
import type { WorkTree } from '../kbuild/work-tree.js';
import type { PatchFile } from '../patches/patch-file.js';
import type { Logger } from '../util/log.js';

export interface PatchedBuildStageOptions {
  tree: WorkTree;
  patches: readonly PatchFile[];
  /** The run's work directory: the objects go to orig/ and patched/ in it. */
  outputDir: string;
  log: Logger;
  jobs: number;
}

export function patchedBuildStage(options: PatchedBuildStageOptions): Promise<PatchedBuildResult> {
  return buildPatched({
    tree: options.tree,
    patches: options.patches,
    outputDir: options.outputDir,
    log: options.log,
    jobs: options.jobs,
  });
}
