/** The validate stage: the patches parse, and touch no path a livepatch cannot change. */
import { readPatch, type PatchFile } from '../patches/patch-file.js';
import { checkPatchPaths } from '../patches/patch-policy.js';

/** Read and check PATCHES (files of unified diffs); refused when one changes a path no livepatch can. */
export async function validateStage(patches: readonly string[]): Promise<PatchFile[]> {
  const parsed = await Promise.all(patches.map((p) => readPatch(p)));
  checkPatchPaths(parsed);
  return parsed;
}
