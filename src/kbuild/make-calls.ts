/**
 * The make calls a kernel tree's top-level Makefile makes, recorded once and made again without
 * it. Every make call in a kernel tree starts by reading the top Makefile, which asks the
 * compiler about some thirty options (cc-option and the like) before it decides anything: about
 * 1.5 s per call on two cores, more than compiling one object. All that work ends in the
 * variables it exports and the sub-makes it runs (`make -f ./scripts/Makefile.build obj=.
 * need-builtin=1 need-modorder=1 ./fs/proc/cmdline.o`; for `M=`, Makefile.build, then
 * Makefile.modpost and Makefile.modfinal). Those calls are recorded: the top make runs with one
 * more makefile that sets MAKE to a small script keeping each call's directory, arguments and
 * environment instead of running it. Made again with that environment, each sub-make is the one
 * kbuild runs: the same objects and the same .cmd records.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeArgs, makeCommandBase, runBuildCommand, shellQuote, type MakeOptions } from './make.js';

/** One make call as the top make would run it. */
export interface MakeCall {
  cwd: string;
  args: string[];
  env: Record<string, string>;
}

export interface RecordedCalls {
  calls: MakeCall[];
  /** The makefiles the top make read (MAKEFILE_LIST, the recorder's own left out), as it names them. */
  makefiles: string[];
  /** How the top make was invoked (its MAKE), the command each call runs. */
  make: string;
  /** The recording top make failed: how (its calls are then not to be trusted). */
  failure?: string;
}

/** Variables of a recorded call's environment that the shell around it sets (or the recorder), not make. */
const SHELL_VARIABLES = new Set(['_', 'PWD', 'OLDPWD', 'SHLVL', 'TSBP_REAL_MAKE', 'TSBP_MAKEFILES']);

const RECORDER_SCRIPT = `# Written by tsbuild-patch: keeps one make call (directory, arguments, environment) instead of running it.
dir=$(dirname "$0")
n=1
while [ -e "$dir/call-$n.args" ]; do n=$((n + 1)); done
pwd > "$dir/call-$n.cwd"
env -0 > "$dir/call-$n.env"
printf '%s\\0' "$@" > "$dir/call-$n.args"
`;

/** The makefile read after the tree's own: every $(MAKE) of a recipe runs the recorder instead. */
function recorderMakefile(script: string): string {
  return [
    '# Written by tsbuild-patch: records the make calls of the makefiles read before this one.',
    'tsbp-real-make := $(MAKE)',
    `MAKE = TSBP_REAL_MAKE='$(tsbp-real-make)' TSBP_MAKEFILES='$(MAKEFILE_LIST)' sh ${shellQuote(script)}`,
    '',
  ].join('\n');
}

const nulSeparated = (text: string) => (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of nulSeparated(text)) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/**
 * Run the top make of OPTIONS (one job, no recipe of it made) with the recorder, in RECORD_DIR
 * (a new directory the runner can write: under the cache), and read the calls it would have
 * made, in order. Recipe lines that are not make calls run as they are (in a prepared tree, with
 * prepare taken as done: none for an object; for M=, the compiler's version check and
 * modules-check.sh on a modules.order not there yet, which only print).
 */
export async function recordMakeCalls(options: MakeOptions, recordDir: string): Promise<RecordedCalls> {
  await rm(recordDir, { recursive: true, force: true });
  await mkdir(recordDir, { recursive: true });
  const script = join(recordDir, 'record-call.sh');
  const makefile = join(recordDir, 'record-calls.mk');
  await writeFile(script, RECORDER_SCRIPT);
  await writeFile(makefile, recorderMakefile(script));
  const args = makeArgs({ ...options, jobs: 1, keepGoing: false }, ['Makefile', makefile]);
  const status = join(recordDir, 'status');
  // Its exit status is kept rather than thrown: a failed recording only means make runs instead.
  const command = `make "$@"; echo $? > ${shellQuote(status)}`;
  await runBuildCommand({
    ...makeCommandBase(options),
    file: 'sh',
    args: ['-c', command, 'sh', ...args],
    commandLine: ['make', ...args].map(shellQuote).join(' '),
    summary: `make ${options.targets.join(' ')} (its make calls recorded)`,
    objects: undefined,
    keepGoing: true,
    cwd: options.tree,
  });
  const exit = (await readFile(status, 'utf8').catch(() => '')).trim();
  const files = new Set(await readdir(recordDir));
  const calls: MakeCall[] = [];
  let makefiles: string[] = [];
  let make = 'make';
  for (let n = 1; files.has(`call-${n}.args`); n++) {
    const read = (part: string) => readFile(join(recordDir, `call-${n}.${part}`), 'utf8');
    const env = parseEnv(await read('env'));
    if (n === 1) {
      makefiles = (env.TSBP_MAKEFILES ?? '').split(/\s+/).filter((file) => file && file !== makefile);
      make = env.TSBP_REAL_MAKE ?? make;
    }
    // An exported MAKE (6.1's top Makefile exports it) is the recorder here: the real one there.
    if (env.MAKE !== undefined && env.MAKE.includes(script)) env.MAKE = env.TSBP_REAL_MAKE ?? 'make';
    for (const name of SHELL_VARIABLES) delete env[name];
    calls.push({ cwd: (await read('cwd')).trimEnd(), args: nulSeparated(await read('args')), env });
  }
  await rm(recordDir, { recursive: true, force: true });
  return {
    calls,
    makefiles,
    make,
    ...(exit === '0' ? {} : { failure: `the recording make failed (exit ${exit || '?'})` }),
  };
}

/**
 * The shell script that makes CALLS one after the other, each in its directory with exactly its
 * recorded environment (`env -i`), with JOBS and make -k (KEEP_GOING) as the top make would have
 * passed them down.
 */
export function replayScript(
  recorded: Pick<RecordedCalls, 'calls' | 'make'>,
  options: { jobs?: number; keepGoing?: boolean } = {},
): string {
  const flags = [...((options.jobs ?? 1) > 1 ? [`-j${options.jobs}`] : []), ...(options.keepGoing ? ['-k'] : [])];
  return recorded.calls
    .map((call) =>
      [
        'cd',
        shellQuote(call.cwd),
        '&&',
        'env',
        '-i',
        ...Object.entries(call.env).map(([name, value]) => shellQuote(`${name}=${value}`)),
        ...[recorded.make, ...flags, ...call.args].map(shellQuote),
      ].join(' '),
    )
    .join(options.keepGoing ? ' ; ' : ' && ');
}
