import { copyFile, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { cacheRoot } from '../util/cache.js';
import { CACHE_FORMATS } from '../util/cache-formats.js';
import { UserError } from '../util/errors.js';
import { checkKernelConfig } from '../kernel/config-policy.js';
import { checkToolchain, runnerToolchain } from '../toolchain/toolchain-match.js';
import { sha256 } from '../util/hash.js';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { onceMarked } from '../util/stage-marker.js';
import { checkConfigMatches } from './config-match.js';
import { runMake } from './make.js';
import { repairWorkTree } from './journal.js';
import { buildObjectIndex, objectsAffectedBy, readObjectIndex, type ObjectInfo } from './object-index.js';
import { DIFF_BUILD_KCFLAGS } from './flags.js';
import { copySourceDir, isBuildOutput, unpackTarball } from './populate-tree.js';
import type { Runner } from '../toolchain/runner.js';
import type { KernelSource, TargetKernel } from '../kernel/target-kernel.js';

/** The tool's own kernel tree: a copy of the sources, built with the diff flags, cached. */
export interface WorkTree {
  key: string;
  /** The cache entry (markers, logs, journal, object index). */
  entry: string;
  /** The kernel tree inside it. */
  dir: string;
  kcflags: string;
  runner: Runner;
  /** make variables of every build in this tree (KCFLAGS; CC and KERNELRELEASE in a prepared tree). */
  vars: Record<string, string>;
  /**
   * Targets every make call in this tree takes as done (`make -o TARGET`): parts of prepare that
   * only a link of vmlinux uses, which a prepared tree never does (see prepared-tree.ts).
   */
  assumeOld: readonly string[];
  /**
   * Where the tree keeps the make calls its top Makefile makes, recorded to be made again
   * without it (replayed-make.ts: a prepared tree); absent: every make reads the top Makefile.
   */
  recordings?: string;
  /** What the run should tell the user about this tree (e.g. a toolchain check skipped). */
  warnings?: string[];
  /**
   * Where caches derived from the tree's sources live (include graph, compile units): the
   * entry itself, or for a copy of a tree, the original's entry.
   */
  caches: string;
  /**
   * Copy INDEX of this tree (0: the tree itself), for building several patches at once; absent
   * when the tree cannot be copied (a fully built tree holds absolute paths everywhere).
   */
  copy?(index: number, log: Logger): Promise<WorkTree>;
  /**
   * The objects the changed files affect, each as built without the patches. Called with the
   * tree pristine and the patch lock held; a prepared tree builds the originals it needs here.
   */
  locate(changed: readonly string[], log: Logger): Promise<LocatedObjects>;
}

export interface LocatedObjects {
  objects: ObjectInfo[];
  /** Changed files that no object of the running kernel is built from. */
  unbuilt: string[];
}

/**
 * A fingerprint of a user's source directory: paths, sizes and modification times of the files
 * the tool copies, so that rebuilding the user's own tree does not change the key.
 */
async function fingerprintDir(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const lines: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = relative(dir, path);
    if (isBuildOutput(rel)) continue; // exactly what copySourceDir leaves out
    const info = await stat(path);
    lines.push(`${rel}\0${info.size}\0${info.mtimeMs}`);
  }
  lines.sort();
  return sha256(lines.join('\n'));
}

export async function sourceIdentity(source: KernelSource): Promise<string> {
  return source.kind === 'tarball'
    ? `tarball:${source.sha256}`
    : `dir:${source.dir}:${await fingerprintDir(source.dir)}`;
}

/** The gcc and as of RUNNER, as a tree's key names them. */
async function treeToolchain(runner: Runner): Promise<{ gcc: string; as: string }> {
  const tools = await runnerToolchain(runner, 'gcc');
  return { gcc: tools.gcc, as: tools.as };
}

export interface WorkTreeOptions {
  target: TargetKernel;
  runner: Runner;
  log: Logger;
  jobs?: number;
  skipCompilerCheck?: boolean;
}

/**
 * The original build: copy (or unpack) the sources into a tree the tool owns, configure it
 * with the running kernel's config, build vmlinux and modules with the diff flags, and index
 * the objects. Cached under a key of (source content, config, compiler, flags, recipe); each
 * step is marked complete only when it finished, so an interrupted build resumes.
 */
export async function prepareWorkTree(options: WorkTreeOptions): Promise<WorkTree> {
  const { target, runner, log } = options;
  const config = await readFile(target.config, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot read config ${target.config}: ${error.message}`);
  });
  // The running kernel's compiler and linker must be this build's.
  const { warnings } = await checkToolchain(target, runner, 'gcc', options.skipCompilerCheck);
  const key = sha256(
    JSON.stringify({
      recipe: CACHE_FORMATS.workTree,
      source: await sourceIdentity(target.source),
      config: sha256(config),
      // The toolchain, not the runner: objects are the same bytes from the same gcc and binutils,
      // so a tree built on the host or in a container with the host's tools serves both.
      toolchain: await treeToolchain(runner),
      kcflags: DIFF_BUILD_KCFLAGS,
    }),
  ).slice(0, 20);
  const root = join(cacheRoot(), 'builds');
  const entry = join(root, key);
  const dir = join(entry, 'linux');
  const indexPath = join(entry, 'object-index.json');
  const tree: WorkTree = {
    key,
    entry,
    dir,
    caches: entry,
    kcflags: DIFF_BUILD_KCFLAGS,
    runner,
    vars: { KCFLAGS: DIFF_BUILD_KCFLAGS },
    assumeOld: [],
    warnings,
    async locate(changed, log) {
      const index = await readObjectIndex(indexPath, log);
      if (!index)
        throw new UserError(
          `${entry}: the object index is missing or outdated; run again (the original build step rebuilds it)`,
        );
      return objectsAffectedBy(index, changed);
    },
  };
  await mkdir(entry, { recursive: true });
  const logFile = join(entry, 'build.log');
  await withDirLock(
    join(entry, 'build.lock'),
    (pid) => log(`waiting for process ${pid}, which is building ${dir}`),
    async () => {
      await repairWorkTree(entry, log);
      await onceMarked(entry, 'populated', () =>
        target.source.kind === 'tarball'
          ? unpackTarball(target.source.tarball, target.source.topdir, dir, log)
          : copySourceDir(target.source.dir, dir, log),
      );
      await onceMarked(entry, 'configured', async () => {
        await copyFile(target.config, join(dir, '.config'));
        await runMake({ tree: dir, targets: ['olddefconfig'], logFile, what: 'configuring the work tree', runner });
        warnings.push(
          ...(await checkConfigMatches(target.config, join(dir, '.config'), {
            skipCompilerCheck: options.skipCompilerCheck ?? false,
          })),
        );
        checkKernelConfig(await readFile(join(dir, '.config'), 'utf8'), 'build');
      });
      await onceMarked(entry, 'built', async () => {
        const jobs = options.jobs ?? availableParallelism();
        log(
          `original build: vmlinux and modules with ${DIFF_BUILD_KCFLAGS}, -j${jobs} (minutes, once per kernel; log: ${logFile})`,
        );
        const started = Date.now();
        await runMake({
          tree: dir,
          targets: ['vmlinux', 'modules'],
          jobs,
          logFile,
          runner,
          vars: { KCFLAGS: DIFF_BUILD_KCFLAGS },
          what: 'original build',
        });
        log(`original build done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      });
      if (!(await readObjectIndex(indexPath, log))) await buildObjectIndex(dir, indexPath);
    },
  );
  return tree;
}
