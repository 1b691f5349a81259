import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { onInterrupt } from '../util/interrupt.js';
import { exitCodeOf } from '../util/outcomes.js';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { applyPatch } from '../patches/apply-patch.js';
import { keepLineNumbers, sourcesBeforePatches } from '../patches/keep-line-numbers.js';
import { exposeMarkerHeaders } from './marker-headers.js';
import { repairWorkTree, TreeJournal } from './journal.js';
import { missingOriginals, missingOriginalsNote } from './missing-originals.js';
import { prepareOutputs } from './prepare-outputs.js';
import { jobsForObjects } from './make.js';
import { runReplayedMake } from './replayed-make.js';
import { compileAsRecorded } from './recorded-compile.js';
import { PreprocessFilter } from './preprocess-filter.js';
import { cmdFileOf, type ObjectInfo } from './object-index.js';
import type { PatchFile } from '../patches/patch-file.js';
import type { WorkTree } from './work-tree.js';
import { treeLock } from './tree-slots.js';

/** An object of the work tree as built without and with the patches. */
export interface ObjectPair {
  object: ObjectInfo;
  original: string;
  patched: string;
}

export interface PatchedBuildResult {
  pairs: ObjectPair[];
  warnings: string[];
}

export interface PatchedBuildOptions {
  tree: WorkTree;
  patches: readonly PatchFile[];
  /** Where the original and patched objects are copied (a directory of the run). */
  outputDir: string;
  log: Logger;
  jobs?: number;
}

/**
 * An original object the cached tree should hold but does not (a run stopped while make was
 * rebuilding it, or a file removed by hand): build it again from the pristine sources.
 */
async function rebuildMissingOriginals(
  tree: WorkTree,
  objects: readonly ObjectInfo[],
  log: (message: string) => void,
): Promise<void> {
  const missing = await missingOriginals(
    tree.dir,
    objects.map((object) => object.path),
  );
  if (missing.length === 0) return;
  log(missingOriginalsNote(missing));
  await runReplayedMake({
    keep: { dir: tree.recordings, name: 'objects' },
    goalsVary: true,
    tree: tree.dir,
    targets: missing,
    jobs: jobsForObjects(missing, 2),
    logFile: join(tree.entry, 'objects.log'),
    runner: tree.runner,
    vars: tree.vars,
    assumeOld: tree.assumeOld,
    what: 'rebuilding original objects',
    prepared: true,
  });
}

/**
 * Apply the patches to the work tree (and the #line directives that keep the numbers of the
 * lines they did not change), rebuild only the objects they affect (of those a changed header
 * reaches, the ones whose preprocessed source it changes: preprocess-filter.ts), copy those
 * objects out, and put the tree back exactly as it was (sources, objects, .cmd files and times),
 * also on failure and on Ctrl-C, so the cached original build stays valid.
 */
export async function buildPatched(options: PatchedBuildOptions): Promise<PatchedBuildResult> {
  const { tree, patches, log } = options;
  return withDirLock(
    treeLock(tree.entry),
    (pid) => log(`waiting for process ${pid}, which is using ${tree.dir}`),
    async () => {
      await repairWorkTree(tree.entry, log);
      const changed = patches.flatMap((p) => p.files.filter((f) => !f.deleted).map((f) => f.path));
      // With the tree pristine: which objects the patches affect, their originals built.
      const { objects, unbuilt } = await tree.locate(changed, log);
      await rebuildMissingOriginals(tree, objects, log);
      const headerChanged = changed.some((file) => file.endsWith('.h'));
      const buildLog = join(options.outputDir, 'patched-build.log');
      // A changed header reaches many objects, most of them unchanged: their preprocessed
      // sources, before the patches and after, tell which to compile.
      const filter =
        headerChanged && objects.length > 0
          ? await PreprocessFilter.before({
              tree,
              objects,
              outputDir: join(options.outputDir, 'preprocessed'),
              logFile: buildLog,
              jobs: options.jobs ?? 2,
              log,
            })
          : undefined;
      const journal = await TreeJournal.begin(tree.entry, log);
      const unregister = onInterrupt(() => journal.restore());
      try {
        const touched = patches.flatMap((p) =>
          p.files.flatMap((f) => [f.path, ...(f.renamedFrom ? [f.renamedFrom] : [])]),
        );
        await journal.protect(touched.map((path) => join(tree.dir, path)));
        // A changed header can make the build rerun parts of prepare (asm-offsets and the like).
        if (headerChanged) await journal.protect(await prepareOutputs(tree.dir));
        await exposeMarkerHeaders(tree.dir, journal);
        const sources = await sourcesBeforePatches(tree.dir, patches);
        const warnings: string[] = [];
        for (const patch of patches) warnings.push(...(await applyPatch(tree.dir, patch)).warnings);
        // Unchanged lines keep their numbers (and so each __LINE__): only real changes differ.
        const lineKeeping = join(options.outputDir, 'line-keeping.patch');
        warnings.push(...(await keepLineNumbers(tree.dir, sources, lineKeeping, log)));

        for (const file of unbuilt) warnings.push(`${file}: not built in this kernel configuration; ignored`);
        if (objects.length === 0) {
          throw new UserError(`the patches change no object built in this configuration (${changed.join(', ')})`, {
            exitCode: exitCodeOf('no-change'),
          });
        }
        const compiled = filter ? await filter.after(changed) : objects;
        if (compiled.length === 0) {
          throw new UserError(
            `no functional change: the preprocessed source of ${objects.length === 1 ? objects[0]!.path : `each of the ${objects.length} objects`} ` +
              `the patches reach is the same with them as without (line markers and blank lines aside)`,
            { exitCode: exitCodeOf('no-change') },
          );
        }
        const objectPaths = compiled.map((o) => join(tree.dir, o.path));
        await journal.protect([...objectPaths, ...objectPaths.map(cmdFileOf)]);

        const pairs: ObjectPair[] = [];
        for (const object of compiled) {
          const original = join(options.outputDir, 'orig', object.path);
          await mkdir(dirname(original), { recursive: true });
          await copyFile(join(tree.dir, object.path), original);
          pairs.push({ object, original, patched: join(options.outputDir, 'patched', object.path) });
        }
        log(`patched build: ${compiled.length} object(s): ${compiled.map((o) => o.path).join(' ')}`);
        // One or two objects of changed C files only: their recorded commands, without make's
        // start-up; more (make runs them side by side) or a changed header: make.
        const replayed =
          compiled.length <= 2 &&
          !headerChanged &&
          (await compileAsRecorded({
            tree: tree.dir,
            objects: compiled.map((o) => o.path),
            logFile: buildLog,
            runner: tree.runner,
            what: 'patched build',
          }));
        if (!replayed)
          await runReplayedMake({
            tree: tree.dir,
            targets: compiled.map((o) => o.path),
            jobs: jobsForObjects(
              compiled.map((o) => o.path),
              options.jobs ?? 2,
            ),
            logFile: buildLog,
            runner: tree.runner,
            vars: tree.vars,
            assumeOld: tree.assumeOld,
            what: 'patched build',
            // Changed C files only cannot change what prepare makes: the sub-makes kbuild runs
            // for the objects (recorded, without the top Makefile); a changed header may: make
            // with the top Makefile and prepare.
            prepared: !headerChanged,
            keep: { dir: headerChanged ? undefined : tree.recordings, name: 'objects' },
            goalsVary: true,
          });
        for (const pair of pairs) {
          await mkdir(dirname(pair.patched), { recursive: true });
          await copyFile(join(tree.dir, pair.object.path), pair.patched);
        }
        return { pairs, warnings };
      } finally {
        await journal.restore();
        unregister();
      }
    },
  );
}
