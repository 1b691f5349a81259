// Corpus patches through `tsbuild-patch batch --kernel RELEASE --json`, under the shared heavy
// lock, and what came of each.
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import type { BatchOutcome } from '../../src/pipeline/batch.js';
import { kernelModuleName } from '../../src/kernel/module-name.js';
import type { RunReport } from '../../src/report/run-report.js';
import { cacheRoot } from '../../src/util/cache.js';
import type { CorpusEntry } from './manifest.js';
import { corpusDir, RELEASE } from './paths.js';

/**
 * The lock every kernel build and VM run on this machine shares (two never run at once on two
 * cores): TSBUILD_PATCH_HEAVY_LOCK, else heavy.lock under the tool's cache.
 */
export const HEAVY_LOCK = process.env.TSBUILD_PATCH_HEAVY_LOCK ?? join(cacheRoot(), 'heavy.lock');
mkdirSync(dirname(HEAVY_LOCK), { recursive: true }); // flock creates the file, not its folder
/**
 * The tool under test: TSBUILD_PATCH_BIN (e.g. a built snapshot of one commit, so that a long
 * run is not disturbed by others rebuilding dist/), else this checkout's bin/ (dist/ built).
 */
export const TOOL_BIN = process.env.TSBUILD_PATCH_BIN ?? resolve(import.meta.dirname, '../../bin/tsbuild-patch.js');

export type BuildOutcome = 'built' | 'refused' | 'no-change' | 'needs-header' | 'tool-error';

export interface BuildResult {
  id: string;
  outcome: BuildOutcome;
  exitCode: number | undefined;
  /** The patch's build time in its batch (from when it started building). */
  seconds: number;
  module?: string;
  ko?: string;
  /** The report's patched functions per target object ('vmlinux' or a module). */
  functions?: Record<string, string[]>;
  category?: string;
  reasons?: string[];
  /** For needs-header and tool errors: the first compiler errors or the message. */
  detail?: string;
  /** The report's notes on what the livepatch carries differently (tracepoints off, exports, ...). */
  notes?: string[];
  command: string;
}

/** Compiler errors of a failed patched build (the patched file against the unpatched headers). */
function compileErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /(error|Error \d):/.test(l) && !/^tsbuild-patch:/.test(l))
    .slice(0, 4);
}

/** The patched functions of a report per target object ('vmlinux' or a module). */
function patchedFunctions(report: RunReport): Record<string, string[]> {
  const functions: Record<string, string[]> = {};
  for (const object of report.objects) {
    if (object.outcome !== 'changed') continue;
    (functions[object.target] ??= []).push(...object.changedFunctions);
  }
  return functions;
}

/** What came of one patch of `tsbuild-patch batch --json`. */
function fromBatchOutcome(id: string, outcome: BatchOutcome, command: string): BuildResult {
  const base = { id, exitCode: outcome.exitCode, seconds: outcome.seconds, command };
  const failure = outcome.failure;
  switch (outcome.outcome) {
    case 'built':
      return {
        ...base,
        outcome: 'built',
        module: kernelModuleName(outcome.module),
        ko: outcome.output!,
        functions: patchedFunctions(outcome.report!),
        notes: outcome.report!.objects.flatMap((o) => o.notes.map((note) => `${o.object}: ${note}`)),
      };
    case 'refused': {
      const reasons = failure!.reasons.map((r) => (r.object ? `${r.object}: ${r.reason}` : r.reason));
      return { ...base, outcome: 'refused', reasons, category: failure!.reasons[0]?.category ?? 'other' };
    }
    case 'no-change':
      return { ...base, outcome: 'no-change', reasons: [failure!.message] };
    default:
      // The per-file patch of a commit that also changed a header: the patched object does not
      // compile against the unpatched headers (the original compiled, the patched did not).
      if (/patched build failed/.test(failure!.message))
        return {
          ...base,
          outcome: 'needs-header',
          detail: compileErrors(failure!.message).join('\n') || failure!.message.slice(-1500),
        };
      return { ...base, outcome: 'tool-error', detail: failure!.message.slice(-4000) };
  }
}

/**
 * A group of corpus patches through one `tsbuild-patch batch --json -j JOBS` (the prepared tree
 * and target resolved once, JOBS patches building at once in copies of the tree) for RELEASE
 * (the corpus's by default), under the heavy lock unless LOCK is false. Results in the order of
 * ENTRIES.
 */
export async function buildGroup(
  entries: ReadonlyArray<Pick<CorpusEntry, 'id' | 'patch'>>,
  outDir: string,
  options: { lock?: boolean; jobs?: number; timeoutMs?: number; release?: string } = {},
): Promise<BuildResult[]> {
  const patches = entries.map((entry) => (isAbsolute(entry.patch) ? entry.patch : join(corpusDir(), entry.patch)));
  const timeoutMs = options.timeoutMs ?? 10 * 60_000 * entries.length;
  const tool = [
    'timeout',
    '-k',
    '10',
    String(Math.round(timeoutMs / 1000)),
    'node',
    TOOL_BIN,
    'batch',
    '--json',
    '-q',
    '--jobs',
    String(options.jobs ?? 2),
    '--kernel',
    options.release ?? RELEASE,
    '--container',
    'none',
    '-o',
    outDir,
    ...patches,
  ];
  const [file, ...args] = options.lock === false ? tool : ['flock', HEAVY_LOCK, ...tool];
  const command = [file, ...args].join(' ');
  const result = await execa(file!, args, { reject: false, maxBuffer: 1 << 28, env: { NO_COLOR: '1' } });
  if (/ERR_MODULE_NOT_FOUND/.test(result.stderr))
    throw new Error(`the tool is not built (${TOOL_BIN}): ${result.stderr.slice(0, 300)}`);
  const outcomes = new Map<string, BatchOutcome>();
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const outcome = JSON.parse(line) as BatchOutcome & { kind?: string };
    // One line per patch (kind patch), then the batch's summary (kind summary).
    if (outcome.kind === 'summary') continue;
    outcomes.set(outcome.patch, outcome);
  }
  return entries.map((entry, i) => {
    const outcome = outcomes.get(patches[i]!);
    if (outcome) return fromBatchOutcome(entry.id, outcome, command);
    const why =
      result.timedOut || result.exitCode === 124 || result.exitCode === 137
        ? `the batch timed out after ${timeoutMs / 1000} s`
        : `the batch ended (exit ${result.exitCode}) without an outcome for it`;
    return {
      id: entry.id,
      outcome: 'tool-error',
      exitCode: result.exitCode,
      seconds: 0,
      command,
      detail: `${why}\n${result.stderr.slice(-3000)}`,
    };
  });
}
