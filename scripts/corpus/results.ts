// Per-patch results of a corpus run: one JSON line per patch, appended as the run goes (a run
// can be resumed), and the final outcome per patch.
import { appendFile, readFile } from 'node:fs/promises';
import type { BuildResult } from './tool-run.js';
import type { VmVerdict } from './vm-batch.js';

export type FinalOutcome =
  'built-and-loaded' | 'target-unavailable' | 'load-failed' | 'refused' | 'no-change' | 'needs-header' | 'tool-error';

export interface PatchResult {
  id: string;
  file: string;
  class: string;
  target: string;
  build: BuildResult;
  vm?: VmVerdict;
  outcome: FinalOutcome;
}

/**
 * What came of a patch. A built livepatch whose insmod failed while one of its target modules
 * could not load in the guest at all (a Hyper-V driver needs hv_vmbus, which refuses to
 * initialise outside Hyper-V; the livepatch needs that module's exports) cannot be proven in
 * qemu: target-unavailable, told apart from a load failure of the livepatch itself.
 */
export function finalOutcome(build: BuildResult, vm: VmVerdict | undefined): FinalOutcome {
  if (build.outcome !== 'built') return build.outcome;
  if (vm?.loaded) return 'built-and-loaded';
  if (vm && vm.problems.includes('insmod failed') && Object.values(vm.targetsLoaded).some((loaded) => !loaded))
    return 'target-unavailable';
  return 'load-failed';
}

export async function readResults(path: string): Promise<PatchResult[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const byId = new Map<string, PatchResult>();
  for (const line of text.split('\n'))
    if (line.trim()) {
      const r = JSON.parse(line) as PatchResult;
      byId.set(r.id, r);
    }
  return [...byId.values()];
}

export const appendResult = (path: string, result: PatchResult) => appendFile(path, JSON.stringify(result) + '\n');
