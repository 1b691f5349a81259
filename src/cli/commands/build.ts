import type { Argv, CommandModule } from 'yargs';
import { selectRunner } from '../../toolchain/container/select-runner.js';
import { runPipeline } from '../../pipeline/run.js';
import { formatReleaseOutcomes, releasesExitCode, releasesOutcome, runForReleases } from '../../pipeline/releases.js';
import type { Runner } from '../../toolchain/runner.js';
import { formatRunReport } from '../../report/run-report.js';
import { UsageError, UserError } from '../../util/errors.js';
import { printJson, withEnvelope } from '../../report/envelope.js';
import { stderrLogger, silentLogger } from '../../util/log.js';
import { ProgressReporter } from '../../util/progress.js';
import { vmTestBuiltModule } from '../../pipeline/vm-test-stage.js';
import { exitCodeOf, exitStatusHelp } from '../../util/outcomes.js';
import { signingFrom, withBuildOptions, type BuildArgs } from '../options/build.js';
import { targetOptionsFrom, withKernelOptions, type KernelArgs } from '../options/kernel.js';

type Signing = ReturnType<typeof signingFrom>;

interface Args extends KernelArgs, BuildArgs {
  patches: string[];
  name?: string;
  output?: string;
  replace: boolean;
  nonReplace: boolean;
  keepTmp: boolean;
  debug: boolean;
  json: boolean;
  vmTest: boolean;
  vmScript?: string;
  vmWorkload?: string;
  vmRequireExercised: boolean;
  vmKernel?: string;
  quiet: boolean;
}

export const buildCommand: CommandModule<object, Args> = {
  command: '$0 <patches..>',
  describe: 'Build a livepatch module from kernel source patches',
  builder: (y) =>
    withBuildOptions(
      withKernelOptions(y)
        .positional('patches', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'unified diffs (-p1) against the kernel source',
        })
        .option('name', {
          alias: 'n',
          type: 'string',
          describe: 'module name (default: livepatch-<first patch name>, at most 55 characters)',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          describe:
            "output directory, as kpatch-build's -o: DIR/<name>.ko (default: .); a path ending in .ko is the module file itself; with several --kernel, DIR/<release>/<name>.ko",
        })
        .option('replace', {
          type: 'boolean',
          default: false,
          describe:
            "atomic replace: loading this patch disables every other livepatch (default: it stacks with them; versions that replace each other are a stream's: see 'stream')",
        })
        .option('non-replace', {
          alias: 'R',
          type: 'boolean',
          default: false,
          describe: "kpatch-build's spelling of --no-replace (the default here)",
        }),
    )
      .option('keep-tmp', {
        alias: 'skip-cleanup',
        type: 'boolean',
        default: false,
        describe: 'keep the temporary directory (objects, generated C, logs)',
      })
      .option('debug', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe:
          "show the commands run (make with its variables), the runner, compiler and build environment; keep and name the work files (implies --keep-tmp). Every run's logs are kept under the cache (runs/, the last 20)",
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress messages' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
      .option('vm-test', {
        type: 'boolean',
        default: false,
        describe: 'boot the running kernel under qemu and load, check and unload the module',
      })
      .option('vm-script', {
        type: 'string',
        describe: 'guest script for --vm-test (default: load, wait, show state, disable, unload)',
      })
      .option('vm-workload', {
        type: 'string',
        conflicts: 'vm-script',
        describe:
          "shell commands for --vm-test to run while the livepatch is applied; the calls of each patched function are counted meanwhile (kprobe events: 'not measured' on a kernel without them, such as the test kernel). A failing workload fails the test",
      })
      .option('vm-require-exercised', {
        type: 'boolean',
        default: false,
        describe:
          'with --vm-test, fail (vm-test-failed) unless every patched function was called while patched (not measured fails too)',
      })
      .option('vm-kernel', {
        type: 'string',
        describe: 'kernel for --vm-test: a bzImage file or a release (default: the kernel the module is built for)',
      })
      .check((argv) => {
        if ((argv['vm-workload'] !== undefined || argv['vm-require-exercised']) && !argv['vm-test'])
          throw new UsageError('--vm-workload and --vm-require-exercised go with --vm-test');
        return true;
      })
      .example('$0 fix.patch', 'build livepatch-fix.ko for the built-in test kernel')
      .example('$0 fix.patch --vm-test', '... and prove it loads and unloads in a VM')
      .example('$0 fix.patch --kernel 6.1.0-57-amd64 --vm-test', "for Debian's own kernel, booted under qemu")
      .example(
        "$0 fix.patch --kernel 6.1.0-57-amd64 --vm-test --vm-workload 'cat /proc/cmdline' --vm-require-exercised",
        '... and prove that the patched code ran: its calls counted while patched',
      )
      .example(
        '$0 fix.patch --kernel 6.1.0-57-amd64 --kernel 6.1.0-50-amd64 -o out',
        'one module per release: out/<release>/livepatch-fix.ko',
      )
      .example(
        '$0 -s linux -c linux/.config -v vmlinux -n fix -R --skip-cleanup -o out fix.patch',
        "kpatch-build's options: out/fix.ko, stacking (no atomic replace), work files kept",
      )
      .example(
        '$0 fix.patch --sourcedir linux --config linux/.config --vmlinux vmlinux --symvers Module.symvers --modules-dir /lib/modules/$(uname -r)',
        'for your own kernel',
      )
      .epilogue(exitStatusHelp('build')) as unknown as Argv<Args>,
  handler: async (args) => {
    const signing = signingFrom(args);
    // Progress: a status line redrawn on a terminal, a plain line every 30 s otherwise (CI).
    const progress = args.quiet
      ? undefined
      : new ProgressReporter({ stream: process.stderr, tty: Boolean(process.stderr.isTTY) });
    const log = args.quiet ? silentLogger : progress!.logger(stderrLogger);
    // With --json a failure prints its report (a refusal's reasons with their categories, or why
    // not): src/cli/cli.ts does it for every command.
    try {
      await build(args, signing, log, progress);
    } finally {
      progress?.stop();
    }
  },
};

/** Atomic replace when --replace asks for it, unless kpatch-build's -R/--non-replace says otherwise. */
const replaceOf = (args: Pick<Args, 'replace' | 'nonReplace'>) => args.replace && !args.nonReplace;

/** The main job, then --vm-test. */
async function build(
  args: Args,
  signing: Signing,
  log: (message: string) => void,
  progress: ProgressReporter | undefined,
): Promise<void> {
  const runner = await selectRunner(args.container, log);
  if (args.kernel && args.kernel.length > 1) return buildForReleases(args, args.kernel, runner, signing, log);
  const report = await runPipeline({
    patches: args.patches,
    target: targetOptionsFrom(args),
    runner,
    ...(args.name ? { name: args.name } : {}),
    ...(args.output ? { output: args.output } : {}),
    replace: replaceOf(args),
    ...(args.jobs ? { jobs: args.jobs } : {}),
    keepTmp: args.keepTmp || args.debug,
    skipCompilerCheck: args.skipCompilerCheck,
    signing,
    log,
    debug: args.debug,
    progress,
  });
  if (args.vmTest) {
    const outcome = await vmTestBuiltModule(report, {
      vmKernel: args.vmKernel,
      script: args.vmScript,
      workload: args.vmWorkload,
      requireExercised: args.vmRequireExercised,
      distribution: Boolean(args.kernel),
      log,
      progress,
    });
    if (report.vmTest && !args.json) process.stderr.write(report.vmTest.output);
    if (outcome !== 'built') process.exitCode = exitCodeOf(outcome);
    if (args.json) return printJson(withEnvelope(outcome, report));
  }
  if (args.json) printJson(withEnvelope('built', report));
  else process.stderr.write(formatRunReport(report));
}

/** Several --kernel: one module per release, OUTPUT (a directory, default .)/<release>/<name>.ko. */
async function buildForReleases(
  args: Args,
  releases: string[],
  runner: Runner,
  signing: Signing,
  log: (message: string) => void,
): Promise<void> {
  if (args.output?.endsWith('.ko'))
    throw new UserError(`-o ${args.output}: with several --kernel, -o is a directory (DIR/<release>/<name>.ko)`);
  if (args.vmTest)
    throw new UserError(
      "--vm-test takes one --kernel; test each release's module with `tsbuild-patch vm-test MOD.ko --kernel RELEASE`",
    );
  const outcomes = await runForReleases({
    patches: args.patches,
    releases,
    outputDir: args.output ?? '.',
    runner,
    ...(args.name ? { name: args.name } : {}),
    replace: replaceOf(args),
    ...(args.jobs ? { jobs: args.jobs } : {}),
    keepTmp: args.keepTmp || args.debug,
    skipCompilerCheck: args.skipCompilerCheck,
    signing,
    log,
    debug: args.debug,
  });
  if (args.json) printJson(withEnvelope(releasesOutcome(outcomes), { releases: outcomes }));
  else process.stderr.write(formatReleaseOutcomes(outcomes));
  process.exitCode = releasesExitCode(outcomes);
}
