import type { CommandModule } from 'yargs';
import { hostRunner } from '../../build/runner.js';
import { resolveTarget } from '../../build/target-kernel.js';
import { prepareWorkTree } from '../../build/work-tree.js';
import { stderrLogger } from '../../util/log.js';
import { targetOptionsFrom, withKernelOptions } from '../options/kernel.js';

interface Args {
  sourcedir?: string;
  config?: string;
  vmlinux?: string;
  symvers?: string;
  modulesDir?: string;
  jobs?: number;
}

export const prepareCommand: CommandModule<object, Args> = {
  command: 'prepare',
  describe: 'Build and cache the original kernel tree (with -ffunction-sections) ahead of the first patch',
  builder: (y) => withKernelOptions(y),
  handler: async (args) => {
    const target = await resolveTarget(targetOptionsFrom(args), stderrLogger);
    const tree = await prepareWorkTree({ target, runner: hostRunner, log: stderrLogger, ...(args.jobs ? { jobs: args.jobs } : {}) });
    process.stdout.write(`${tree.dir}\n`);
  },
};
