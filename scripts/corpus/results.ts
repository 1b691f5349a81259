// Per-patch results of a corpus run: one JSON line per attempt at a patch, appended as the run
// goes (a run can be resumed, and retries a failed load), never overwritten; what an attempt came
// to, and what a patch's attempts come to (a failure, then a pass on retry: flaky).
import { appendFile, readFile } from 'node:fs/promises';
import type { BuildResult } from './tool-run.js';
import type { VmVerdict } from './vm-batch.js';

export type FinalOutcome =
  | 'built-loaded-exercised'
  | 'built-and-loaded'
  | 'target-unavailable'
  | 'load-failed'
  | 'refused'
  | 'no-change'
  | 'needs-header'
  | 'tool-error';

/** What a patch's attempts come to: the last one's outcome, or flaky when a failure preceded a pass. */
export type PatchClass = FinalOutcome | 'flaky';

export interface PatchResult {
  id: string;
  file: string;
  class: string;
  target: string;
  build: BuildResult;
  vm?: VmVerdict;
  outcome: FinalOutcome;
  /** The earlier attempts at this patch, oldest first (filled when read back, never written). */
  earlier?: PatchResult[];
}

/** The target modules of a livepatch that did not load in the guest. */
export const targetsMissing = (vm: VmVerdict): string[] =>
  Object.entries(vm.targetsLoaded)
    .filter(([, loaded]) => !loaded)
    .map(([target]) => target);

/**
 * What came of one attempt at a patch. A built livepatch whose target module did not load in
 * the guest cannot be proven in qemu (a Hyper-V driver needs hv_vmbus, which refuses to
 * initialise outside Hyper-V; the livepatch then fails to load for want of that module's exports,
 * or loads and waits for it, its functions never switched): target-unavailable, never loaded,
 * unless something else went wrong too (a warning in the log: load-failed). A livepatch that
 * loaded is exercised when every one of its functions was called while it was applied.
 */
export function finalOutcome(build: BuildResult, vm: VmVerdict | undefined): FinalOutcome {
  if (build.outcome !== 'built') return build.outcome;
  if (vm && targetsMissing(vm).length > 0 && vm.problems.every((p) => p === 'insmod failed'))
    return 'target-unavailable';
  if (!vm?.loaded) return 'load-failed';
  return vm.exercise?.verdict === 'exercised' ? 'built-loaded-exercised' : 'built-and-loaded';
}

const FAILURES: readonly FinalOutcome[] = ['load-failed', 'tool-error'];

/**
 * What a patch's attempts come to, each derived again from what was measured (the rules may have
 * grown since): flaky when one attempt failed (a failed load, a tool error) and another did not.
 */
export function patchClass(result: PatchResult): PatchClass {
  const outcomes = [...(result.earlier ?? []), result].map((r) => finalOutcome(r.build, r.vm));
  const failed = outcomes.some((o) => FAILURES.includes(o));
  return failed && outcomes.some((o) => !FAILURES.includes(o)) ? 'flaky' : outcomes.at(-1)!;
}

/** A patch's last attempt, with the attempts before it in `earlier`. */
function withEarlier(attempts: PatchResult[]): PatchResult {
  const last = attempts.at(-1)!;
  return attempts.length > 1 ? { ...last, earlier: attempts.slice(0, -1) } : last;
}

/**
 * The patches of the results files PATHS (several runs: in the order given), each its last
 * attempt with the attempts before it.
 */
export async function readResults(...paths: string[]): Promise<PatchResult[]> {
  const attempts = new Map<string, PatchResult[]>();
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const line of text.split('\n'))
      if (line.trim()) {
        const r = JSON.parse(line) as PatchResult;
        attempts.set(r.id, [...(attempts.get(r.id) ?? []), r]);
      }
  }
  return [...attempts.values()].map(withEarlier);
}

/** Append one attempt (the earlier ones are in the file already). */
export const appendResult = (path: string, result: PatchResult) =>
  appendFile(path, JSON.stringify({ ...result, earlier: undefined }) + '\n');
