import type { CommandModule } from 'yargs';
import { provisionTestKernel, type TestKernel } from '../../sources/test-kernel/provision.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  json: boolean;
  jobs?: number;
}

export const testKernelCommand: CommandModule<object, Args> = {
  command: 'test-kernel',
  describe: "Provision the built-in test kernel (Debian's linux-source-6.1, built once and cached) and print its paths",
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print the paths as JSON' })
      .option('jobs', { type: 'number', describe: 'make -j (default: number of CPUs)' })
      .epilogue(exitStatusHelp('test-kernel')),
  handler: async (args) => {
    const kernel = await provisionTestKernel({ log: stderrLogger, ...(args.jobs ? { jobs: args.jobs } : {}) });
    printTestKernel(kernel, args.json);
  },
};

export function printTestKernel(kernel: TestKernel, json: boolean): void {
  if (json) printJson(withEnvelope('done', kernel));
  else for (const [name, value] of Object.entries(kernel)) process.stdout.write(`${name.padEnd(14)} ${value}\n`);
}
