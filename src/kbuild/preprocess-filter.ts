/**
 * Compile only the objects whose preprocessed source a header change really changes. The
 * objects a changed header reaches are many (every one that includes it, hundreds for a common
 * header), and most compile to the same code: the change is in a comment, in a branch of an
 * `#ifdef` their configuration skips, or in a macro they do not use. Each one is preprocessed
 * with its own recorded compile command (preprocess-command.ts) before the patches are applied
 * and after, both times in the same tree at the same paths (so `__FILE__` is the same unless the
 * file really moved), and compiled only when the two texts differ beyond line markers and blank
 * lines (preprocessed-text.ts). An object is never left out unless its two texts were both
 * written and found the same: one without a usable record, or whose preprocessing fails either
 * time, is compiled as before (its errors then come from the compile).
 *
 * The preprocessing runs where the compiles run (the tree's runner: the host or the builder
 * container), several objects per command (a container starts for each), the commands side by
 * side with p-queue, as many as the build's jobs.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import PQueue from 'p-queue';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { kbuildEnv, runBuildCommand, runMake, shellQuote } from './make.js';
import { cmdFileOf, type ObjectInfo } from './object-index.js';
import { preparedFrom } from './prepare-outputs.js';
import { preprocessCommand } from './preprocess-command.js';
import { fingerprintPreprocessed, samePreprocessed, type PreprocessedFingerprint } from './preprocessed-text.js';
import { recordedCommand } from './recorded-compile.js';
import type { WorkTree } from './work-tree.js';

export interface PreprocessOptions {
  tree: Pick<WorkTree, 'dir' | 'runner' | 'vars' | 'assumeOld'>;
  /** Objects, paths relative to the tree as kbuild builds them. */
  objects: readonly string[];
  /** Where the texts are written while they are read (visible to the runner: the run's directory). */
  outputDir: string;
  /** The build log the preprocessor's messages go to. */
  logFile: string;
  jobs: number;
}

/** The objects preprocessed, and those that could not be. */
export interface Preprocessed {
  fingerprints: Map<string, PreprocessedFingerprint>;
  /** Each object that was not preprocessed, with why. */
  missed: Map<string, string>;
}

/** How many objects one command preprocesses: enough commands for every job several times over. */
function chunkSize(objects: number, jobs: number): number {
  return Math.max(1, Math.ceil(objects / (jobs * 4)));
}

/**
 * Preprocess OBJECTS in the tree as it is now, each with the command kbuild recorded for it, and
 * fingerprint the texts (removed once read).
 */
export async function preprocessObjects(options: PreprocessOptions): Promise<Preprocessed> {
  const { tree, outputDir } = options;
  const result: Preprocessed = { fingerprints: new Map(), missed: new Map() };
  const steps: { object: string; output: string; command: string }[] = [];
  await mkdir(outputDir, { recursive: true });
  for (const [index, object] of options.objects.entries()) {
    const text = await readFile(join(tree.dir, cmdFileOf(object)), 'utf8').catch(() => undefined);
    const recorded = text === undefined ? undefined : recordedCommand(text);
    const output = join(outputDir, `${index}.i`);
    const command = recorded === undefined ? undefined : preprocessCommand(recorded, object, output);
    if (command === undefined) {
      result.missed.set(
        object,
        recorded === undefined ? 'no compile command recorded' : 'its recorded command is no plain compile',
      );
    } else steps.push({ object, output, command });
  }
  const queue = new PQueue({ concurrency: Math.max(1, options.jobs) });
  const size = chunkSize(steps.length, options.jobs);
  const chunks: (typeof steps)[] = [];
  for (let i = 0; i < steps.length; i += size) chunks.push(steps.slice(i, i + size));
  await Promise.all(
    chunks.map((chunk, number) =>
      queue.add(async () => {
        // Each object in a subshell of its own; a failure removes its (partial) text and goes on.
        // The commands (kilobytes each) go to a script file, not into the run's debug log.
        const script = join(outputDir, `${number}.sh`);
        await writeFile(
          script,
          [
            ...chunk.map(
              ({ object, output, command }) =>
                `echo ${shellQuote(`  CPP     ${object}`)}\n` +
                `if ( ${command} ); then :; else echo ${shellQuote(`preprocessing ${object} failed`)} "(exit $?)"; rm -f ${shellQuote(output)}; fi`,
            ),
            'exit 0\n',
          ].join('\n'),
        );
        await runBuildCommand({
          tree: tree.dir,
          file: 'sh',
          args: [script],
          commandLine: `cd ${shellQuote(tree.dir)} && sh ${shellQuote(script)}`,
          summary: `preprocessing ${chunk.map((s) => s.object).join(' ')}`,
          logFile: options.logFile,
          what: 'preprocessing',
          runner: tree.runner,
          env: kbuildEnv(),
          objects: 0,
          // The runner's own failure (a container that did not start) leaves no text: not compared.
          keepGoing: true,
          cwd: tree.dir,
          mounts: [outputDir],
        });
        for (const { object, output } of chunk) {
          const text = await readFile(output, 'latin1').catch(() => undefined);
          if (text === undefined) result.missed.set(object, `preprocessing failed: see ${basename(options.logFile)}`);
          else result.fingerprints.set(object, fingerprintPreprocessed(text));
          await rm(output, { force: true });
        }
      }),
    ),
  );
  return result;
}

export interface PreprocessFilterOptions {
  tree: Pick<WorkTree, 'dir' | 'runner' | 'vars' | 'assumeOld'>;
  objects: readonly ObjectInfo[];
  /** A directory of the run for the texts (removed when done). */
  outputDir: string;
  logFile: string;
  jobs: number;
  log: Logger;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * The comparison in two steps around the patches: `before` preprocesses the objects in the
 * pristine tree, `after` (the patches and the line keeping applied) preprocesses them again and
 * gives the objects to compile.
 */
export class PreprocessFilter {
  private constructor(
    private readonly options: PreprocessFilterOptions,
    private readonly original: Preprocessed,
    private readonly elapsed: number,
  ) {}

  /** Preprocess the objects in the tree as it is, before the patches. */
  static async before(options: PreprocessFilterOptions): Promise<PreprocessFilter> {
    const started = performance.now();
    options.log(
      `preprocessing ${options.objects.length} object(s) before and after the patches: only those whose preprocessed source changes are compiled`,
    );
    const original = await preprocessObjects({
      tree: options.tree,
      objects: options.objects.map((o) => o.path),
      outputDir: join(options.outputDir, 'orig'),
      logFile: options.logFile,
      jobs: options.jobs,
    });
    return new PreprocessFilter(options, original, performance.now() - started);
  }

  /**
   * The objects to compile, of those given to `before`, with the patches applied to the tree
   * that CHANGED (tree paths) name: those whose preprocessed source differs, or was not compared.
   */
  async after(changed: readonly string[]): Promise<ObjectInfo[]> {
    const { tree, objects, log } = this.options;
    const started = performance.now();
    try {
      // asm-offsets.h and the like are made from headers too: made again first, so that a text
      // including them sees what the compile would.
      const prepared = await preparedFrom(tree.dir, changed);
      if (prepared.length > 0) {
        log(`prepare's generated headers are made from ${prepared.join(', ')}: make prepare before preprocessing`);
        try {
          await runMake({
            tree: tree.dir,
            targets: ['prepare'],
            jobs: this.options.jobs,
            logFile: this.options.logFile,
            runner: tree.runner,
            vars: tree.vars,
            assumeOld: tree.assumeOld,
            what: 'updating the generated headers',
          });
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          log(`make prepare failed, so every object is compiled: ${error.message.split('\n')[0]}`);
          return [...objects];
        }
      }
      const patched = await preprocessObjects({
        tree,
        objects: objects.map((o) => o.path),
        outputDir: join(this.options.outputDir, 'patched'),
        logFile: this.options.logFile,
        jobs: this.options.jobs,
      });
      const kept: ObjectInfo[] = [];
      const uncompared: string[] = [];
      let differ = 0;
      for (const object of objects) {
        const before = this.original.fingerprints.get(object.path);
        const after = patched.fingerprints.get(object.path);
        if (before && after) {
          if (samePreprocessed(before, after)) continue;
          differ++;
        } else {
          const why = this.original.missed.get(object.path) ?? patched.missed.get(object.path);
          uncompared.push(`${object.path} (${why})`);
        }
        kept.push(object);
      }
      const compared = objects.length - uncompared.length;
      const time = seconds(this.elapsed + performance.now() - started);
      log(
        `preprocessed ${compared} of ${objects.length} object(s) before and after the patches in ${time} s (${this.options.jobs} jobs): ` +
          `${differ} differ, ${compared - differ} unchanged (not compiled)` +
          (uncompared.length > 0 ? `; compiled without comparing: ${uncompared.join(', ')}` : ''),
      );
      return kept;
    } finally {
      await rm(this.options.outputDir, { recursive: true, force: true });
    }
  }
}
