import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import { hostRunner, type Runner } from './runner.js';

/** Environment for kbuild with the caller's compiler-flag variables removed (they change objects). */
export function kbuildEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    KCFLAGS: undefined,
    KCPPFLAGS: undefined,
    KAFLAGS: undefined,
    KBUILD_OUTPUT: undefined,
    KBUILD_EXTMOD: undefined,
    ARCH: 'x86_64',
    LC_ALL: 'C',
    ...extra,
  };
}

export interface MakeOptions {
  tree: string;
  targets: string[];
  logFile: string;
  jobs?: number;
  vars?: Record<string, string>;
  env?: Record<string, string>;
  /** What the user was waiting for, for the error message. */
  what: string;
  runner?: Runner;
  /** make -k: build what can be built; a failure is not an error (the caller checks the results). */
  keepGoing?: boolean;
}

/** Run make in a kernel tree, appending output to a log file; on failure show the log's tail. */
export async function runMake(options: MakeOptions): Promise<void> {
  const args = ['-C', options.tree, `-j${options.jobs ?? 1}`, ...(options.keepGoing ? ['-k'] : [])];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push(`${name}=${value}`);
  args.push(...options.targets);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n$ make ${args.join(' ')}\n`);
  const child = (options.runner ?? hostRunner).exec('make', args, { env: kbuildEnv(options.env), all: true });
  child.all?.pipe(log, { end: false });
  const result = await child;
  await new Promise<void>((resolve) => log.end(resolve));
  if (result.failed && !(options.keepGoing && result.exitCode !== undefined && !result.signal)) {
    const text = await readFile(options.logFile, 'utf8').catch(() => '');
    const tail = text.trimEnd().split('\n').slice(-40).join('\n');
    throw new UserError(
      `${options.what} failed: make ${options.targets.join(' ')} in ${options.tree} ` +
        `(${result.signal ? `signal ${result.signal}` : `exit ${result.exitCode}`}); last lines of ${options.logFile}:\n${tail}`,
    );
  }
}

/** `make -s kernelrelease` */
export async function kernelRelease(tree: string): Promise<string> {
  const result = await execa('make', ['-s', '-C', tree, 'kernelrelease'], { env: kbuildEnv(), stdin: 'ignore' });
  return result.stdout.trim().split('\n').pop() ?? '';
}
