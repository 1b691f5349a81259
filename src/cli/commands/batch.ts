import type { Argv, CommandModule } from 'yargs';
import { selectRunner } from '../../toolchain/container/select-runner.js';
import { batchExitCode, batchOutcome, formatBatchOutcomes, runBatch, type BatchOutcome } from '../../pipeline/batch.js';
import { silentLogger, stderrLogger } from '../../util/log.js';
import { BUILD_OUTCOMES_WORST_FIRST, exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';
import { signingFrom, withBuildOptions, type BuildArgs } from '../options/build.js';
import { targetOptionsFrom, withKernelOptions, type KernelArgs } from '../options/kernel.js';

interface Args extends KernelArgs, BuildArgs {
  patches: string[];
  output: string;
  replace: boolean;
  json: boolean;
  quiet: boolean;
}

export const batchCommand: CommandModule<object, Args> = {
  command: 'batch <patches..>',
  describe: 'Build one livepatch module per patch for one kernel, several patches at once (a set of fixes to triage)',
  builder: (y) =>
    withBuildOptions(
      withKernelOptions(y)
        .positional('patches', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'unified diffs (-p1), each its own module',
        })
        .option('jobs', {
          type: 'number',
          describe: 'patches built at once, each in its own copy of a prepared tree (default: number of CPUs)',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          default: '.',
          describe: 'directory for the modules: <dir>/livepatch-<patch name>.ko',
        })
        .option('replace', {
          type: 'boolean',
          default: false,
          describe: 'atomic replace (see the main command; default: the modules stack)',
        }),
    )
      .option('json', {
        type: 'boolean',
        default: false,
        describe:
          'print one JSON line per patch on stdout as it finishes (its report, or why no module), then a summary line',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress messages' })
      .example(
        '$0 batch fixes/*.patch --kernel 6.1.0-57-amd64 -j 2 -o out',
        'one module per patch, two patches at a time',
      )
      .epilogue(exitStatusHelp('batch')) as unknown as Argv<Args>,
  handler: async (args) => {
    const signing = signingFrom(args);
    const log = args.quiet ? silentLogger : stderrLogger;
    const runner = await selectRunner(args.container, log);
    const outcomes = await runBatch({
      patches: args.patches,
      target: targetOptionsFrom(args),
      runner,
      outputDir: args.output,
      ...(args.jobs ? { parallel: args.jobs } : {}),
      replace: args.replace,
      keepTmp: false,
      skipCompilerCheck: args.skipCompilerCheck,
      signing,
      log,
      onOutcome: (outcome) => {
        if (args.json) printJson(withEnvelope(outcome.outcome, { kind: 'patch', ...outcome }), { line: true });
      },
    });
    if (args.json) printJson(batchSummary(outcomes), { line: true });
    else process.stderr.write(formatBatchOutcomes(outcomes));
    process.exitCode = batchExitCode(outcomes);
  },
};

/** The last JSON line of a batch: its outcome (the process's exit status) and how many patches came to each. */
export function batchSummary(outcomes: readonly BatchOutcome[]) {
  const counts = Object.fromEntries(
    BUILD_OUTCOMES_WORST_FIRST.map((what) => [what, outcomes.filter((o) => o.outcome === what).length]),
  );
  return withEnvelope(batchOutcome(outcomes), { kind: 'summary', patches: outcomes.length, counts });
}
