import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import PQueue from 'p-queue';
import type { RunReport } from '../report/run-report.js';
import { UserError } from '../util/errors.js';
import { exitCodeOf, worstOutcome, type BuildOutcome } from '../util/outcomes.js';
import { failureReport } from '../report/failure-report.js';
import { defaultModuleName } from '../emit/livepatch-name.js';
import { runPipeline, type PipelineOptions } from './run.js';

/** What became of one kernel release of a several-release run. */
export interface ReleaseOutcome {
  release: string;
  outcome: BuildOutcome;
  /** The module, when built. */
  output?: string;
  report?: RunReport;
  /** Why not, when not built. */
  reason?: string;
  exitCode: number;
}

export interface ReleasesOptions extends Omit<PipelineOptions, 'target' | 'output'> {
  releases: readonly string[];
  /** Each release's module goes to OUTPUTDIR/<release>/<name>.ko. */
  outputDir: string;
}

/**
 * One livepatch module per kernel release, for a fleet that runs several: the releases are
 * built side by side (two at a time, the cores shared between them), each with its own
 * packages, prepared tree and cached originals; a release that fails or is refused does not
 * stop the others, and is reported with its reason.
 */
export async function runForReleases(options: ReleasesOptions): Promise<ReleaseOutcome[]> {
  const releases = [...new Set(options.releases)];
  if (releases.length === 0) throw new UserError('no kernel release given');
  const name = options.name ?? defaultModuleName(options.patches[0]!);
  const concurrency = Math.min(2, releases.length);
  const jobs = options.jobs ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
  const queue = new PQueue({ concurrency });
  const outcomes = await Promise.all(
    releases.map((release) =>
      queue.add(async (): Promise<ReleaseOutcome> => {
        const output = resolve(join(options.outputDir, release, `${name}.ko`));
        try {
          const report = await runPipeline({
            ...options,
            name,
            jobs,
            target: { kernel: release },
            output,
            log: (line) => options.log(`[${release}] ${line}`),
          });
          return { release, outcome: 'built', output: report.output ?? output, report, exitCode: exitCodeOf('built') };
        } catch (error) {
          // A bug of the tool in one release is reported with that release (internal-error); the others go on.
          const failure = failureReport(error);
          const reason = failure.hint ? `${failure.message}\n${failure.hint}` : failure.message;
          return { release, outcome: failure.outcome, reason, exitCode: failure.exitCode };
        }
      }),
    ),
  );
  return outcomes.filter((o): o is ReleaseOutcome => o !== undefined);
}

/** The outcome of a several-release run: built when every release was, else the worst (as batch's: src/util/outcomes.ts). */
export function releasesOutcome(outcomes: readonly ReleaseOutcome[]): BuildOutcome {
  return worstOutcome(outcomes.map((o) => o.outcome));
}

/** The exit status of a several-release run: its outcome's. */
export function releasesExitCode(outcomes: readonly ReleaseOutcome[]): number {
  return exitCodeOf(releasesOutcome(outcomes));
}

export function formatReleaseOutcomes(outcomes: readonly ReleaseOutcome[]): string {
  const lines = outcomes.map((o) =>
    o.outcome === 'built'
      ? `  ${o.release}: built ${o.output}`
      : `  ${o.release}: ${o.outcome}: ${(o.reason ?? '').split('\n').join('\n    ')}`,
  );
  return `livepatch modules by kernel release:\n${lines.join('\n')}\n`;
}
