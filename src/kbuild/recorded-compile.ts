import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostRunner, type Runner } from '../toolchain/runner.js';
import { parseKconfig } from '../kernel/kconfig.js';
import { kbuildEnv, runBuildCommand, shellQuote } from './make.js';
import { cmdFileOf, recordedCommandLine } from './object-index.js';

/**
 * Compiling an object again with the command kbuild recorded for it (`cmd_<obj> :=` in 6.1's
 * `.<obj>.cmd`, `savedcmd_<obj> :=` later): the compiler and what kbuild runs on the object
 * after it (objtool, the single-file module's link), without make. A make call for one object
 * first runs the top-level prepare checks (checksyscalls, objtool's and resolve_btfids'
 * directories): seconds per call, more than the compile itself. The commands are only what make
 * would run when nothing but the object's own sources changed: a changed header (which may
 * remake prepare's outputs) or a kernel that records mcount sites after the compile
 * (recordmcount) is left to make.
 */

/** The recorded command in CMDTEXT as the shell runs it (make's escapes undone: `$$` and `$(pound)`). */
export function recordedCommand(cmdText: string): string | undefined {
  const saved = recordedCommandLine(cmdText)?.trim();
  if (!saved) return undefined;
  return saved.replace(/\$\$|\$\(pound\)/g, (escape) => (escape === '$$' ? '$' : '#'));
}

/** The dependency file the compiler writes (`-Wp,-MMD,<file>`), which kbuild's fixdep folds into the .cmd and removes. */
export function dependencyFileOf(command: string): string | undefined {
  return /-Wp,-MMD,(\S+)/.exec(command)?.[1];
}

/**
 * The shell script that compiles OBJECTS (paths relative to TREE) as recorded, one after the
 * other, with kbuild's own progress lines; undefined when one of them has no record that can
 * be replayed (make then does it).
 */
export async function recordedCompileScript(tree: string, objects: readonly string[]): Promise<string | undefined> {
  const config = parseKconfig(await readFile(join(tree, '.config'), 'utf8').catch(() => ''));
  if (config.get('FTRACE_MCOUNT_USE_RECORDMCOUNT') === 'y') return undefined;
  const steps: string[] = [];
  for (const object of objects) {
    const text = await readFile(join(tree, cmdFileOf(object)), 'utf8').catch(() => undefined);
    const command = text === undefined ? undefined : recordedCommand(text);
    if (!command || !command.includes(` -o ${object} `)) return undefined;
    const depfile = dependencyFileOf(command);
    steps.push(
      `echo ${shellQuote(`  CC      ${object}`)}`,
      `( set -e; ${command} ); status=$?`,
      ...(depfile ? [`rm -f ${shellQuote(depfile)}`] : []),
      '[ "$status" -eq 0 ] || exit "$status"',
    );
  }
  return steps.join('; ');
}

export interface RecordedCompileOptions {
  tree: string;
  objects: readonly string[];
  logFile: string;
  what: string;
  runner?: Runner;
}

/**
 * Compile OBJECTS with their recorded commands (see above); false, having done nothing, when
 * they cannot all be compiled that way.
 */
export async function compileAsRecorded(options: RecordedCompileOptions): Promise<boolean> {
  const script = await recordedCompileScript(options.tree, options.objects);
  if (script === undefined) return false;
  await runBuildCommand({
    tree: options.tree,
    file: 'sh',
    args: ['-c', script],
    commandLine: `cd ${shellQuote(options.tree)} && sh -c ${shellQuote(script)}`,
    summary: `the commands kbuild recorded for ${options.objects.join(' ')}`,
    logFile: options.logFile,
    what: options.what,
    runner: options.runner ?? hostRunner,
    env: kbuildEnv(),
    objects: options.objects.length,
    keepGoing: false,
    cwd: options.tree,
  });
  return true;
}
