import { createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { compiledObject, LineSplitter } from '../util/compile-lines.js';
import { formatErrors, logTail } from '../util/compiler-errors.js';
import { exitCodeOf } from '../util/outcomes.js';
import { UserError } from '../util/errors.js';
import { currentRun } from '../util/run-context.js';
import { hostRunner, type Runner } from '../toolchain/runner.js';

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
  /**
   * The tree is prepared and nothing since has changed what `prepare` makes (no header of a
   * patch is applied): `make -o prepare` takes that target as done. Every make call for an
   * object otherwise runs prepare's checks first (checksyscalls, objtool's and resolve_btfids'
   * directories, the generated headers): seconds per call, more than a compile.
   */
  prepared?: boolean;
  /** More targets make takes as done (`-o TARGET`): a tree's WorkTree.assumeOld. */
  assumeOld?: readonly string[];
}

/** WORD as a POSIX shell reads it back: as it is when it holds no special character, else single-quoted. */
export const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The make command line as a shell would take it. */
export function makeCommandLine(args: readonly string[]): string {
  return ['make', ...args].map(shellQuote).join(' ');
}

/** Variables of the caller's environment that kbuild reads (cross compilers, LLVM, KBUILD_*, KCONFIG_*). */
const KBUILD_INHERITED =
  /^(?:CROSS_COMPILE|LLVM|LLVM_IAS|CC|HOSTCC|LD|AR|KBUILD_\w+|KCONFIG_\w+|INSTALL_MOD_\w+|O|V|W|C)$/;

/**
 * The environment kbuild sees: what is set and removed for it, and what it inherits that kbuild
 * reads: `ARCH=x86_64 LC_ALL=C; unset KCFLAGS KCPPFLAGS; inherited KBUILD_BUILD_TIMESTAMP=...`.
 */
export function describeEnv(
  env: Record<string, string | undefined>,
  inherited: NodeJS.ProcessEnv = process.env,
): string {
  const entries = Object.entries(env);
  const set = entries
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${shellQuote(value!)}`);
  const unset = entries.filter(([, value]) => value === undefined).map(([name]) => name);
  const kept = Object.entries(inherited)
    .filter(([name, value]) => value !== undefined && KBUILD_INHERITED.test(name) && !(name in env))
    .map(([name, value]) => `${name}=${shellQuote(value!)}`);
  return [
    set.join(' '),
    ...(unset.length ? [`unset ${unset.join(' ')}`] : []),
    ...(kept.length ? [`inherited ${kept.join(' ')}`] : []),
  ].join('; ');
}

/** The text a file has gained since it was SIZE bytes long. */
async function readFrom(file: string, size: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size: end } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, end - size));
    await handle.read(buffer, 0, buffer.length, size);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Jobs for building the objects TARGETS by name. kbuild can compile one such object twice when
 * its directory is reached by two paths (drivers/Makefile lists char/ipmi/ beside char/): once
 * as built-in code, once as module code. In parallel the two race on the same dependency file
 * and fail; one after the other, the module's compile comes last and is the one kept. A single
 * object is therefore built with one job; several keep JOBS.
 */
export function jobsForObjects(targets: readonly string[], jobs: number): number {
  return targets.length <= 1 ? 1 : jobs;
}

const closed = (stream: WriteStream) => new Promise<void>((resolve) => stream.end(resolve));

/** The arguments of make for OPTIONS; MAKEFILES (`-f`, after `-C`) when it must read more than the tree's Makefile. */
export function makeArgs(options: MakeOptions, makefiles: readonly string[] = []): string[] {
  const args = [
    '-C',
    options.tree,
    ...makefiles.flatMap((file) => ['-f', file]),
    `-j${options.jobs ?? 1}`,
    ...(options.keepGoing ? ['-k'] : []),
    ...[...(options.prepared ? ['prepare'] : []), ...(options.assumeOld ?? [])].flatMap((target) => ['-o', target]),
  ];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push(`${name}=${value}`);
  args.push(...options.targets);
  return args;
}

/**
 * Run make in a kernel tree, appending output to a log file. Inside a pipeline run the output is
 * also kept with the run's logs (`<run>/<stage>.log`, which outlives temporary directories),
 * the command line goes to the run's debug log and kbuild's compile lines to its progress.
 * On failure the message has the compiler's error lines (or the log's tail) and the log's path.
 */
export async function runMake(options: MakeOptions): Promise<void> {
  const args = makeArgs(options);
  await runBuildCommand({
    ...makeCommandBase(options),
    file: 'make',
    args,
    commandLine: makeCommandLine(args),
    summary: `make ${options.targets.join(' ')}`,
  });
}

/** What every way of running a make call (make itself, its recorded sub-makes) takes from OPTIONS. */
export function makeCommandBase(
  options: MakeOptions,
): Pick<BuildCommand, 'tree' | 'logFile' | 'what' | 'runner' | 'env' | 'objects' | 'keepGoing'> {
  return {
    tree: options.tree,
    logFile: options.logFile,
    what: options.what,
    runner: options.runner ?? hostRunner,
    env: kbuildEnv(options.env),
    // A patched build names its objects: that is the total. A full build (vmlinux, modules) is counted as it goes.
    objects: options.targets.every((t) => t.endsWith('.o')) ? options.targets.length : undefined,
    keepGoing: options.keepGoing ?? false,
  };
}

/** A build command run in a kernel tree (make, or the commands kbuild recorded). */
export interface BuildCommand {
  tree: string;
  file: string;
  args: readonly string[];
  /** The command as a shell would take it, for the logs. */
  commandLine: string;
  /** What it builds, for the error message: "make fs/proc/version.o". */
  summary: string;
  logFile: string;
  what: string;
  runner: Runner;
  env: Record<string, string | undefined>;
  /** How many objects it compiles, when it names them (the progress's total). */
  objects: number | undefined;
  keepGoing: boolean;
  cwd?: string;
  /** Host directories it writes besides the tree (see RunnerExecOptions.mounts). */
  mounts?: readonly string[];
}

/** Run a build command (see runMake: logs, progress, and the compiler's errors on failure). */
export async function runBuildCommand(options: BuildCommand): Promise<void> {
  const run = currentRun();
  const { runner, env, commandLine: command } = options;
  run?.debug(`run (${runner.description}): ${command}`);
  run?.debug(`  environment: ${describeEnv(env)}`);

  const keptLog = run ? join(run.runDir, `${run.stage ?? 'make'}.log`) : undefined;
  const start = (await stat(options.logFile).catch(() => undefined))?.size ?? 0;
  const logs = [options.logFile, ...(keptLog ? [keptLog] : [])].map((file) => createWriteStream(file, { flags: 'a' }));
  for (const log of logs) log.write(`\n$ ${command}\n`);

  run?.progress?.buildStarted(options.objects);
  const lines = new LineSplitter((line) => {
    const object = compiledObject(line);
    if (object) run?.progress?.compiled(object);
  });
  const child = runner.exec(options.file, options.args, {
    env,
    all: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.mounts ? { mounts: options.mounts } : {}),
  });
  for (const log of logs) child.all?.pipe(log, { end: false });
  child.all?.on('data', (chunk: Buffer) => lines.push(chunk));
  const result = await child;
  lines.end();
  run?.progress?.buildEnded();
  await Promise.all(logs.map(closed));

  if (result.failed && !(options.keepGoing && result.exitCode !== undefined && !result.signal)) {
    const text = await readFrom(options.logFile, start);
    const errors = formatErrors(text);
    const logPath = keptLog ?? options.logFile;
    run?.debug(
      `failed: ${command} (${result.signal ? `signal ${result.signal}` : `exit ${result.exitCode}`}); log ${logPath}`,
    );
    throw new UserError(
      `${options.what} failed: ${options.summary} in ${options.tree} ` +
        `(${result.signal ? `signal ${result.signal}` : `exit ${result.exitCode}`})\n` +
        `${errors ?? `last lines of the log:\n${logTail(text)}`}\nfull log: ${logPath}`,
      { exitCode: exitCodeOf('compile-failed') },
    );
  }
}

/** `make -s kernelrelease` */
export async function kernelRelease(tree: string): Promise<string> {
  const result = await execa('make', ['-s', '-C', tree, 'kernelrelease'], { env: kbuildEnv(), stdin: 'ignore' });
  return result.stdout.trim().split('\n').pop() ?? '';
}
