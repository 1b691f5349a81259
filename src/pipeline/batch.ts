/**
 * Many patches, one livepatch module each, for one kernel (a set of fixes to triage, a corpus):
 * the target kernel is resolved and its tree prepared once, and PARALLEL patches build at once,
 * each in its own copy of a prepared tree (src/kbuild/tree-slots.ts) with its cached originals.
 * A patch that fails or is refused does not stop the others.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import PQueue from 'p-queue';
import { failureReport } from '../report/failure-report.js';
import type { FailureReport, RunReport } from '../report/run-report.js';
import { UserError } from '../util/errors.js';
import { exitCodeOf, worstOutcome, type BuildOutcome } from '../util/outcomes.js';
import { defaultModuleName, MAX_MODULE_NAME } from '../emit/livepatch-name.js';
import { runPipeline, type BatchShared, type PipelineOptions } from './run.js';

export interface BatchOutcome {
  patch: string;
  module: string;
  outcome: BuildOutcome;
  exitCode: number;
  seconds: number;
  /** Which copy of the tree it was built in (0: the tree itself). */
  slot: number;
  /** The module, when built, and the run's report. */
  output?: string;
  report?: RunReport;
  /** Why not, when not built (a refusal's reasons with their categories). */
  failure?: FailureReport;
}

export interface BatchOptions extends Omit<PipelineOptions, 'patches' | 'name' | 'output' | 'batch' | 'progress'> {
  patches: readonly string[];
  /** Each patch's module goes to OUTPUTDIR/<module>.ko. */
  outputDir: string;
  /** Patches built at once (default: the number of CPUs). */
  parallel?: number;
  /** Told of each patch's outcome as it comes. */
  onOutcome?: (outcome: BatchOutcome) => void;
}

/** livepatch-<patch name> for each patch; a name two patches would share gets -2, -3, ... */
export function batchModuleNames(patches: readonly string[]): string[] {
  const taken = new Set<string>();
  return patches.map((patch) => {
    const base = defaultModuleName(patch);
    let name = base;
    for (let n = 2; taken.has(name); n++)
      name = `${base.slice(0, MAX_MODULE_NAME - `-${n}`.length).replace(/-+$/, '')}-${n}`;
    taken.add(name);
    return name;
  });
}

export async function runBatch(options: BatchOptions): Promise<BatchOutcome[]> {
  if (options.patches.length === 0) throw new UserError('no patch given');
  const names = batchModuleNames(options.patches);
  const parallel = Math.max(1, Math.min(options.parallel ?? availableParallelism(), options.patches.length));
  const jobs = options.jobs ?? Math.max(1, Math.floor(availableParallelism() / parallel));
  const shared: BatchShared = {};
  const freeSlots = Array.from({ length: parallel }, (_, slot) => parallel - 1 - slot);
  const queue = new PQueue({ concurrency: parallel });
  const outcomes = await Promise.all(
    options.patches.map((patch, i) =>
      queue.add(async (): Promise<BatchOutcome> => {
        const module = names[i]!;
        const slot = freeSlots.pop()!;
        const started = Date.now();
        const seconds = () => (Date.now() - started) / 1000;
        let outcome: BatchOutcome;
        try {
          const report = await runPipeline({
            ...options,
            patches: [patch],
            name: module,
            output: resolve(join(options.outputDir, `${module}.ko`)),
            jobs,
            batch: { shared, slot },
            log: (line) => options.log(`[${module}] ${line}`),
          });
          outcome = {
            patch,
            module,
            outcome: 'built',
            exitCode: exitCodeOf('built'),
            seconds: seconds(),
            slot,
            output: report.output!,
            report,
          };
        } catch (error) {
          // A bug of the tool in one patch is reported with that patch (internal-error); the batch goes on.
          const failure = failureReport(error);
          outcome = {
            patch,
            module,
            outcome: failure.outcome,
            exitCode: failure.exitCode,
            seconds: seconds(),
            slot,
            failure,
          };
        } finally {
          freeSlots.push(slot);
        }
        options.onOutcome?.(outcome);
        return outcome;
      }),
    ),
  );
  return outcomes.filter((o): o is BatchOutcome => o !== undefined);
}

/** The worst outcome (src/util/outcomes.ts, BUILD_OUTCOMES_WORST_FIRST): built only when every patch was. */
export function batchOutcome(outcomes: readonly BatchOutcome[]): BuildOutcome {
  return worstOutcome(outcomes.map((o) => o.outcome));
}

/** The exit status of a batch: its worst outcome's. */
export function batchExitCode(outcomes: readonly BatchOutcome[]): number {
  return exitCodeOf(batchOutcome(outcomes));
}

export function formatBatchOutcomes(outcomes: readonly BatchOutcome[]): string {
  const lines = outcomes.map((o) => {
    const head = `  ${o.outcome.padEnd(9)} ${o.patch} (${o.seconds.toFixed(1)} s)`;
    if (o.outcome === 'built') return `${head}: ${o.output}`;
    const why = o.failure?.reasons.length
      ? o.failure.reasons.map((r) => `[${r.category}] ${r.object ? `${r.object}: ` : ''}${r.reason}`)
      : [o.failure?.message ?? ''];
    return `${head}\n${why.map((line) => `    ${line.split('\n').join('\n      ')}`).join('\n')}`;
  });
  const count = (what: BatchOutcome['outcome']) => outcomes.filter((o) => o.outcome === what).length;
  return (
    `livepatch modules by patch:\n${lines.join('\n')}\n` +
    `${count('built')} built, ${count('refused')} refused, ${count('no-change')} without change, ${outcomes.length - count('built') - count('refused') - count('no-change')} failed\n`
  );
}
