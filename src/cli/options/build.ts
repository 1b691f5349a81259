import type { Argv } from 'yargs';
import { CONTAINER_CHOICES, type ContainerChoice } from '../../toolchain/container/select-runner.js';
import { UserError } from '../../util/errors.js';

/** --container: where kernel builds run. */
export function withContainerOption<T>(y: Argv<T>) {
  return y.option('container', {
    choices: CONTAINER_CHOICES,
    default: 'auto' as ContainerChoice,
    describe: 'where the kernel builds run: auto = podman, else docker, else the host',
  });
}

/** The options of every command that builds livepatch modules: where builds run, signing, the compiler check. */
export function withBuildOptions<T>(y: Argv<T>) {
  return withContainerOption(y)
    .option('sign-key', {
      type: 'string',
      group: 'Kernel:',
      describe: "module signing key (default: the test kernel's key)",
    })
    .option('sign-cert', { type: 'string', group: 'Kernel:', describe: 'module signing certificate' })
    .option('skip-compiler-check', {
      type: 'boolean',
      default: false,
      describe:
        'build even when gcc or ld is not the one that built the running kernel (warned in the report; the objects may not match the running code)',
    });
}

/** The parsed values of withBuildOptions. */
export interface BuildArgs {
  container: ContainerChoice;
  signKey?: string;
  signCert?: string;
  skipCompilerCheck: boolean;
}

/** The signing key and certificate given, which go together; undefined when neither is. */
export function signingFrom(args: BuildArgs): { key: string; cert: string } | undefined {
  if ((args.signKey === undefined) !== (args.signCert === undefined))
    throw new UserError('--sign-key and --sign-cert go together');
  return args.signKey && args.signCert ? { key: args.signKey, cert: args.signCert } : undefined;
}
