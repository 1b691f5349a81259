import type { Argv, CommandModule } from 'yargs';
import { checkStreamName, checkStreamVersion } from '../../kernel/stream-facts.js';
import { selectRunner } from '../../toolchain/container/select-runner.js';
import { formatReleaseOutcomes, releasesExitCode, releasesOutcome } from '../../pipeline/releases.js';
import { buildStream } from '../../pipeline/stream.js';
import { printJson, withEnvelope } from '../../report/envelope.js';
import { silentLogger, stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { signingFrom, withBuildOptions, type BuildArgs } from '../options/build.js';

interface Args extends BuildArgs {
  series: string;
  stream: string;
  streamVersion: string;
  kernel: string[];
  output: string;
  replace: boolean;
  jobs?: number;
  json: boolean;
  quiet: boolean;
}

export const streamCommand: CommandModule<object, Args> = {
  command: 'stream <series>',
  describe:
    "Build version N of a patch stream: every patch of a quilt series in one module per kernel release (cumulative), livepatch-<stream>-<N>, which replaces the stream's earlier version on the machines and stacks with other streams",
  builder: (y) =>
    withBuildOptions(
      y
        .positional('series', {
          type: 'string',
          demandOption: true,
          describe:
            'a quilt series file (patch names relative to its directory; -p1 and -p ab taken, # comments), or a directory: its series file, else its *.patch and *.diff files in name order',
        })
        .option('stream', {
          type: 'string',
          demandOption: true,
          describe:
            'the stream name: lower-case words joined by dashes (the package is livepatch-<stream>, the module livepatch-<stream>-<N>)',
        })
        .option('stream-version', {
          type: 'string',
          demandOption: true,
          describe: 'this build of the stream: 1, 2, ... (each new build of the series takes the next)',
        })
        .option('kernel', {
          type: 'string',
          array: true,
          nargs: 1,
          demandOption: true,
          group: 'Kernel:',
          describe: 'a distribution kernel release the fleet runs, e.g. 6.1.0-57-amd64; one module per --kernel',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          default: '.',
          describe: 'directory for the modules: DIR/<release>/livepatch-<stream>-<N>.ko',
        })
        .option('replace', {
          type: 'boolean',
          default: false,
          describe:
            "atomic replace: the new version takes over in the kernel's one transition, but loading it disables every other livepatch, so tsbuild-patch-ctl loads it only where this stream is the machine's only livepatch",
        })
        .option('jobs', {
          type: 'number',
          alias: 'j',
          describe: 'parallel jobs per release (default: the CPUs shared)',
        }),
    )
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress messages' })
      .example(
        '$0 stream patches/series --stream cve-fixes --stream-version 3 --kernel 6.1.0-57-amd64 --kernel 6.1.0-50-amd64 -o out',
        'out/<release>/livepatch-cve-fixes-3.ko; then: tsbuild-patch package out/*/livepatch-cve-fixes-3.ko',
      )
      .epilogue(exitStatusHelp('stream')) as unknown as Argv<Args>,
  handler: async (args) => {
    const stream = { name: checkStreamName(args.stream), version: checkStreamVersion(args.streamVersion) };
    const signing = signingFrom(args);
    const log = args.quiet ? silentLogger : stderrLogger;
    const runner = await selectRunner(args.container, log);
    const built = await buildStream({
      series: args.series,
      stream,
      releases: args.kernel,
      outputDir: args.output,
      runner,
      replace: args.replace,
      ...(args.jobs ? { jobs: args.jobs } : {}),
      keepTmp: false,
      skipCompilerCheck: args.skipCompilerCheck,
      signing,
      log,
    });
    for (const warning of built.warnings) stderrLogger(`warning: ${warning}`);
    const outcome = releasesOutcome(built.releases);
    if (args.json) printJson(withEnvelope(outcome, built));
    else
      process.stderr.write(
        `stream ${stream.name} version ${stream.version}: ${built.stream.module} from ${built.stream.patches.length} patch${built.stream.patches.length > 1 ? 'es' : ''} of ${built.stream.series}\n${formatReleaseOutcomes(built.releases)}`,
      );
    process.exitCode = releasesExitCode(built.releases);
  },
};
