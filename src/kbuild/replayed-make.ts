/**
 * make in a kernel tree without the top Makefile's start-up: the sub-makes it would run, recorded
 * once per tree and use (make-calls.ts), made again directly. The recording is kept under a key
 * of everything the top Makefile's work depends on: the content of every makefile it read (its
 * MAKEFILE_LIST: the Makefile, the arch and scripts makefiles, include/config/auto.conf and its
 * .cmd), the make variables and options, the environment and the runner (the builder image).
 * Anything else falls back to make with the top Makefile, saying why in the run's log: no
 * recording or a stale one (recorded again first), calls that are not kbuild's sub-makes (a
 * config to sync, Linux 7's M= builds re-entering the Makefile), a varying part that cannot be
 * put back.
 */
import { readFile, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { readJsonCache, writeFileAtomic } from '../util/atomic-file.js';
import { sha256 } from '../util/hash.js';
import { silentLogger } from '../util/log.js';
import { currentRun } from '../util/run-context.js';
import { hostRunner } from '../toolchain/runner.js';
import { instantiate, toTemplates, type CallTemplate } from './make-call-templates.js';
import { recordMakeCalls, replayScript } from './make-calls.js';
import { kbuildEnv, makeCommandBase, runBuildCommand, runMake, shellQuote, type MakeOptions } from './make.js';

/** Version of the kept recordings: bump when what they hold or how they are made changes. */
const FORMAT = 1;

export interface ReplayedMakeOptions extends MakeOptions {
  /**
   * Where the recording is kept (the tree's recordings directory, WorkTree.recordings) and its
   * name there; absent (a tree without one): make with the top Makefile.
   */
  keep: { dir: string | undefined; name: string };
  /** The goals change from one use to the next (objects): the calls are recorded for any goals. */
  goalsVary?: boolean;
  /** Paths that change from one use to the next (an external module's directory), by name. */
  parameters?: Record<string, string>;
}

interface KeptCalls {
  format: number;
  key: string;
  makefiles: string[];
  make: string;
  calls?: CallTemplate[];
  unusable?: string;
}

/** Environment variables of this process that a shell sets for itself (not read by kbuild). */
const SHELL_OWN = new Set(['_', 'PWD', 'OLDPWD', 'SHLVL']);

const withParameters = (text: string, parameters: Record<string, string>) =>
  Object.entries(parameters).reduce((out, [name, value]) => out.split(value).join(`@{${name}}`), text);

/** Where a tree keeps its recordings: a directory of its cache entry ENTRY. */
export const recordingsDir = (entry: string) => join(entry, 'make-calls');

/** The key of a recording for OPTIONS whose top make read MAKEFILES (names with placeholders). */
export async function recordingKey(options: ReplayedMakeOptions, makefiles: readonly string[]): Promise<string> {
  const parameters = options.parameters ?? {};
  const contents: string[] = [];
  for (const makefile of makefiles) {
    const path = makefile.replace(/@\{(\w+)\}/g, (_, name: string) => parameters[name] ?? '');
    const text = await readFile(isAbsolute(path) ? path : join(options.tree, path)).catch(() => undefined);
    contents.push(`${makefile}\0${text === undefined ? 'absent' : sha256(text)}`);
  }
  const processEnv = Object.entries(process.env)
    .filter(([name]) => !SHELL_OWN.has(name))
    .sort(([a], [b]) => a.localeCompare(b));
  return sha256(
    JSON.stringify({
      format: FORMAT,
      tree: options.tree,
      goals: options.goalsVary ? undefined : options.targets,
      vars: withParameters(JSON.stringify(options.vars ?? {}), parameters),
      prepared: options.prepared ?? false,
      assumeOld: options.assumeOld ?? [],
      runner: (options.runner ?? hostRunner).description,
      env: withParameters(JSON.stringify([processEnv, kbuildEnv(options.env)]), parameters),
      makefiles: contents,
    }),
  );
}

/** The kept recording for OPTIONS if it is still valid. */
async function validRecording(options: ReplayedMakeOptions, file: string): Promise<KeptCalls | undefined> {
  const kept = await readJsonCache<KeptCalls>(file, silentLogger);
  if (!kept || kept.format !== FORMAT || !Array.isArray(kept.makefiles)) return undefined;
  return kept.key === (await recordingKey(options, kept.makefiles)) ? kept : undefined;
}

/**
 * make for OPTIONS (see runMake), through the recorded sub-makes when they can be used (see the
 * top of this file); the first use in a tree records them (one top-level make that compiles
 * nothing) and then makes them.
 */
export async function runReplayedMake(options: ReplayedMakeOptions): Promise<void> {
  const keepDir = options.keep.dir;
  if (keepDir === undefined) return runMake(options);
  const debug = currentRun()?.debug ?? silentLogger;
  const file = join(keepDir, `${options.keep.name}.json`);
  const parameters = options.parameters ?? {};
  let kept = await validRecording(options, file);
  if (!kept) {
    debug(`make calls of ${options.keep.name}: none recorded for this tree's state; recording them`);
    const recorded = await recordMakeCalls(options, join(keepDir, `${options.keep.name}.recording-${process.pid}`));
    const templates = toTemplates(recorded, {
      goals: options.targets,
      goalsVary: options.goalsVary ?? false,
      parameters,
    });
    const makefiles = recorded.makefiles.map((makefile) => withParameters(makefile, parameters));
    kept = {
      format: FORMAT,
      key: await recordingKey(options, makefiles),
      makefiles,
      make: recorded.make,
      ...(typeof templates === 'string' ? { unusable: templates } : { calls: templates }),
    };
    await writeFileAtomic(file, `${JSON.stringify(kept)}\n`);
  }
  if (!kept.calls) {
    debug(`make calls of ${options.keep.name} not replayed (${kept.unusable}): make with the top Makefile`);
    return runMake(options);
  }
  const calls = instantiate(kept.calls, options.targets, parameters);
  const script = replayScript(
    { calls, make: kept.make },
    { ...(options.jobs ? { jobs: options.jobs } : {}), keepGoing: options.keepGoing ?? false },
  );
  // A failure is most likely the build's own (a patch that does not compile); the recording is
  // dropped all the same, so that a next run records it again rather than trust it.
  await runBuildCommand({
    ...makeCommandBase(options),
    file: 'sh',
    args: ['-c', script],
    commandLine: `sh -c ${shellQuote(script)}`,
    summary: `make ${options.targets.join(' ')} (the sub-makes kbuild runs, recorded in ${file})`,
    cwd: options.tree,
  }).catch(async (error: unknown) => {
    await rm(file, { force: true });
    throw error;
  });
}
