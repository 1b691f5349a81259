import type { CommandModule } from 'yargs';
import { selectRunner, type ContainerChoice } from '../../toolchain/container/select-runner.js';
import { resolveTarget } from '../../sources/resolve-target.js';
import { treeForTarget } from '../../kbuild/tree-for-target.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { withContainerOption } from '../options/build.js';
import { targetOptionsFrom, withKernelOptions, type KernelArgs } from '../options/kernel.js';

interface Args extends KernelArgs {
  container: ContainerChoice;
}

export const prepareCommand: CommandModule<object, Args> = {
  command: 'prepare',
  describe:
    "Prepare and cache the tool's kernel tree ahead of the first patch (the test kernel: a full build with -ffunction-sections; a distribution kernel: its packages and a prepared tree)",
  builder: (y) => withContainerOption(withKernelOptions(y)).epilogue(exitStatusHelp('prepare')),
  handler: async (args) => {
    const runner = await selectRunner(args.container, stderrLogger);
    // Several --kernel: each release in turn (its packages and its prepared tree).
    const kernels = args.kernel && args.kernel.length > 1 ? args.kernel.map((k) => ({ ...args, kernel: [k] })) : [args];
    for (const one of kernels) {
      const target = await resolveTarget(targetOptionsFrom(one), stderrLogger);
      const tree = await treeForTarget({
        target,
        runner,
        log: stderrLogger,
        ...(args.jobs ? { jobs: args.jobs } : {}),
      });
      // Each kernel's builds run where its compiler is: the host, or its release's builder image.
      stderrLogger(`kernel builds for ${target.release} run in: ${tree.runner.description}`);
      process.stdout.write(`${tree.dir}\n`);
    }
  },
};
