import type { Argv, CommandModule } from 'yargs';
import { vmTestStage } from '../../pipeline/vm-test-stage.js';
import { printJson, withEnvelope } from '../../report/envelope.js';
import { describeExercise } from '../../report/exercise.js';
import { stderrLogger } from '../../util/log.js';
import { exitCodeOf, exitStatusHelp } from '../../util/outcomes.js';

interface Args {
  modules: string[];
  kernel?: string;
  script?: string;
  exec?: string;
  workload?: string;
  requireExercised: boolean;
  cmdline?: string;
  timeout: number;
  cpus: number;
  verbose: boolean;
  json: boolean;
}

export const vmTestCommand: CommandModule<object, Args> = {
  command: 'vm-test [modules..]',
  describe: 'Boot a kernel under qemu (TCG), load modules, run a script, report what happened',
  builder: (y) =>
    y
      .positional('modules', { type: 'string', array: true, default: [], describe: '.ko files to copy into the guest' })
      .option('kernel', {
        type: 'string',
        describe:
          'kernel to boot: a release (e.g. 6.1.0-57-amd64, or "running"), or a bzImage file (default: the built-in test kernel)',
      })
      .option('script', {
        type: 'string',
        describe: 'shell script to run in the guest (default: load, check, disable, unload)',
      })
      .option('exec', { type: 'string', describe: 'shell commands to run in the guest, instead of --script' })
      .option('workload', {
        type: 'string',
        describe:
          "shell commands the default script runs while the livepatches are applied; it counts each patched function's calls meanwhile (kprobe events: 'not measured' on a kernel without them, such as the test kernel). A failing workload fails the test",
      })
      .option('require-exercised', {
        type: 'boolean',
        default: false,
        describe:
          'fail (vm-test-failed) unless every patched function was called while patched (not measured fails too); with --script or --exec, the calls your script counted (klp_count_start PATCH ... klp_count_stop PATCH)',
      })
      .option('cmdline', { type: 'string', describe: 'extra kernel command line (e.g. module.sig_enforce=1)' })
      .option('timeout', { type: 'number', default: 120, describe: 'seconds before the VM is killed' })
      .option('cpus', { type: 'number', default: 1, describe: 'guest CPUs' })
      .option('verbose', { type: 'boolean', default: false, describe: 'stream the serial console' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .conflicts('script', 'exec')
      .conflicts('workload', ['script', 'exec'])
      .example('$0 vm-test livepatch-fix.ko', 'load, check, disable and unload a livepatch in the test kernel')
      .example(
        '$0 vm-test livepatch-fix.ko --kernel 6.1.0-57-amd64',
        "... in Debian's own kernel (a patched module comes from its image)",
      )
      .example(
        "$0 vm-test fix.ko --kernel 6.1.0-57-amd64 --workload 'cat /proc/cmdline' --require-exercised",
        '... and prove that the patched code ran: its calls counted while patched',
      )
      .example("$0 vm-test fix.ko --exec 'insmod fix.ko && cat /proc/cmdline'", 'run your own checks')
      .epilogue(exitStatusHelp('vm-test')) as unknown as Argv<Args>,
  handler: async (args) => {
    const {
      vm: result,
      outcome,
      exerciseRequired,
      shortfalls,
    } = await vmTestStage({
      kernel: args.kernel,
      log: stderrLogger,
      modules: args.modules,
      script: args.script,
      exec: args.exec,
      workload: args.workload,
      requireExercised: args.requireExercised,
      timeoutMs: args.timeout * 1000,
      cpus: args.cpus,
      cmdline: args.cmdline,
      ...(args.verbose ? { onConsole: (text: string) => process.stderr.write(text) } : {}),
    });
    if (args.json) {
      printJson(withEnvelope(outcome, { ...result, exerciseRequired }));
    } else {
      process.stdout.write(result.output);
      const seconds = (result.durationMs / 1000).toFixed(1);
      process.stderr.write(`[vm] ${result.status}, script exit ${result.exitStatus ?? '-'}, ${seconds} s\n`);
      for (const problem of result.problems) process.stderr.write(`[vm] ${problem}\n`);
      for (const e of result.exercise) process.stderr.write(`[vm] ${describeExercise(e)}\n`);
      for (const shortfall of shortfalls)
        process.stderr.write(`[vm] not seen to run (--require-exercised): ${shortfall}\n`);
      if (result.status !== 'ok') process.stderr.write(result.kernelLog.split('\n').slice(-30).join('\n') + '\n');
    }
    process.exitCode = exitCodeOf(outcome);
  },
};
