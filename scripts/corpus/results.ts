// Per-patch results of a corpus run: one JSON line per patch, appended as the run goes (a run
// can be resumed), and the final outcome per patch.
import { appendFile, readFile } from 'node:fs/promises';
import type { BuildResult } from './tool-run.js';
import type { VmVerdict } from './vm-batch.js';

export type FinalOutcome = 'built-and-loaded' | 'load-failed' | 'refused' | 'no-change' | 'needs-header' | 'tool-error';

export interface PatchResult {
  id: string;
  file: string;
  class: string;
  target: string;
  build: BuildResult;
  vm?: VmVerdict;
  outcome: FinalOutcome;
}

export function finalOutcome(build: BuildResult, vm: VmVerdict | undefined): FinalOutcome {
  if (build.outcome === 'built') return vm?.loaded ? 'built-and-loaded' : 'load-failed';
  return build.outcome;
}

export async function readResults(path: string): Promise<PatchResult[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const byId = new Map<string, PatchResult>();
  for (const line of text.split('\n')) if (line.trim()) {
    const r = JSON.parse(line) as PatchResult;
    byId.set(r.id, r);
  }
  return [...byId.values()];
}

export const appendResult = (path: string, result: PatchResult) => appendFile(path, JSON.stringify(result) + '\n');
