import { UserError } from '../../util/errors.js';
import type { Argv } from 'yargs';
import type { TargetOptions } from '../../sources/resolve-target.js';

/**
 * The options that describe the running kernel (all four, or none for the test kernel), with
 * kpatch-build's short spellings (-s -c -v).
 */
export function withKernelOptions<T>(y: Argv<T>) {
  return y
    .option('kernel', {
      type: 'string',
      array: true,
      // One release per --kernel: `--kernel R fix.patch` leaves fix.patch a patch.
      nargs: 1,
      group: 'Kernel:',
      describe:
        'a distribution kernel release, e.g. 6.1.0-57-amd64 (Debian 12), "running" (uname -r) or "newest": its packages are fetched with apt; give several for one module per release',
    })
    .option('sourcedir', {
      alias: 's',
      type: 'string',
      group: 'Kernel:',
      describe: 'kernel source tree of the running kernel (never modified)',
    })
    .option('config', { alias: 'c', type: 'string', group: 'Kernel:', describe: '.config of the running kernel' })
    .option('vmlinux', {
      alias: 'v',
      type: 'string',
      group: 'Kernel:',
      describe: 'vmlinux of the running kernel (symbols, sympos)',
    })
    .option('symvers', { type: 'string', group: 'Kernel:', describe: 'Module.symvers of the running kernel (exports)' })
    .option('modules-dir', {
      type: 'string',
      group: 'Kernel:',
      describe: '/lib/modules/<release> of the running kernel',
    })
    .option('jobs', { type: 'number', alias: 'j', describe: 'parallel jobs (default: number of CPUs)' });
}

/** The parsed values of withKernelOptions. */
export interface KernelArgs {
  kernel?: string[];
  sourcedir?: string;
  config?: string;
  vmlinux?: string;
  symvers?: string;
  modulesDir?: string;
  jobs?: number;
}

export function targetOptionsFrom(args: KernelArgs): TargetOptions {
  const options: TargetOptions = {};
  if (args.kernel && args.kernel.length > 1)
    throw new UserError(`one --kernel at a time here (given: ${args.kernel.join(', ')})`);
  if (args.kernel?.[0]) options.kernel = args.kernel[0];
  if (args.sourcedir) options.sourcedir = args.sourcedir;
  if (args.config) options.config = args.config;
  if (args.vmlinux) options.vmlinux = args.vmlinux;
  if (args.symvers) options.symvers = args.symvers;
  if (args.modulesDir) options.modulesDir = args.modulesDir;
  return options;
}
