import { copyFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KCONFIG_DEPENDENCIES, KCONFIG_OUTPUTS, parseKconfig } from '../kernel/kconfig.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { cacheRoot } from '../util/cache.js';
import { CACHE_FORMATS } from '../util/cache-formats.js';
import { UserError } from '../util/errors.js';
import { checkKernelConfig } from '../kernel/config-policy.js';
import { sha256 } from '../util/hash.js';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { onceMarked } from '../util/stage-marker.js';
import { DIFF_BUILD_KCFLAGS } from './flags.js';
import { repairWorkTree } from './journal.js';
import { runMake } from './make.js';
import { locateInPreparedTree } from './prepared-objects.js';
import { unpackTarball } from './populate-tree.js';
import type { Runner } from '../toolchain/runner.js';
import { checkConfigMatches } from './config-match.js';
import { sourceIdentity, type WorkTree } from './work-tree.js';
import { checkToolchain } from '../toolchain/toolchain-match.js';
import { treeCopy } from './tree-slots.js';

/**
 * Parts of `prepare` that a prepared tree never uses, taken as done by each make call in it:
 * resolve_btfids (with its copy of libbpf, the longest part of prepare on a kernel with
 * DEBUG_INFO_BTF) fills in the BTF ids of vmlinux, and of a module only when a vmlinux is there
 * to take its BTF from (Makefile.modfinal); a prepared tree links no vmlinux.
 */
export const UNUSED_PREPARE_PARTS: readonly string[] = ['tools/bpf/resolve_btfids'];

/**
 * make variables that turn off parts of the build a prepared tree never uses: with CONFIG_RUST=y
 * (Debian's Linux 7 kernels) `prepare` builds Rust's core, bindings and macro crates (most of
 * its minutes on 7.3); a livepatch is C. Only make's view of the option changes: the compiles
 * read CONFIG_RUST from include/generated/autoconf.h, and no C compiler flag depends on it.
 */
export function unusedPartsOff(config: string): Record<string, string> {
  return parseKconfig(config).get('RUST') === 'y' ? { CONFIG_RUST: '' } : {};
}

/**
 * TREE configured from the kernel build's Kconfig outputs in DIR instead of by Kconfig: copied in,
 * with an empty record of what they were made from, all newer than .config, so that make takes
 * them as up to date (it runs syncconfig when the record is missing or older than .config).
 */
async function useKconfigOutputs(from: string, tree: string): Promise<void> {
  const made = [...KCONFIG_OUTPUTS, KCONFIG_DEPENDENCIES];
  for (const file of KCONFIG_OUTPUTS) {
    await mkdir(dirname(join(tree, file)), { recursive: true });
    await copyFile(join(from, file), join(tree, file));
  }
  await writeFile(join(tree, KCONFIG_DEPENDENCIES), '');
  const config = await stat(join(tree, '.config'));
  const later = new Date(config.mtimeMs + 1000);
  for (const file of made) await utimes(join(tree, file), later, later);
}

/**
 * A prepared tree: the kernel's source with its config, configured and prepared (`prepare
 * modules_prepare`) with the kernel's own compiler and release string, and nothing else built.
 * Objects are compiled one by one, when a patch needs them, and stay in the tree as the cached
 * originals (kbuild rebuilds one whose source, headers or command line changed, so a stale one
 * is never used). Cached under a key of (source, config, compiler, release, flags, recipe).
 */
export async function preparePreparedTree(options: {
  target: TargetKernel;
  runner: Runner;
  log: Logger;
  jobs: number;
  skipCompilerCheck?: boolean;
}): Promise<WorkTree> {
  const { target, runner, log } = options;
  if (target.build.kind !== 'prepared') throw new Error('preparePreparedTree: not a prepared-tree target');
  const { cc, kernelRelease } = target.build;
  const config = await readFile(target.config, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot read config ${target.config}: ${error.message}`);
  });
  const { compiler, warnings } = await checkToolchain(target, runner, cc, options.skipCompilerCheck);
  const vars = { KCFLAGS: DIFF_BUILD_KCFLAGS, CC: cc, KERNELRELEASE: kernelRelease, ...unusedPartsOff(config) };
  const key = sha256(
    JSON.stringify({
      recipe: CACHE_FORMATS.preparedTree,
      source: await sourceIdentity(target.source),
      config: sha256(config),
      compiler,
      vars,
    }),
  ).slice(0, 20);
  const entry = join(cacheRoot(), 'trees', key);
  const dir = join(entry, 'linux');
  await mkdir(entry, { recursive: true });
  const logFile = join(entry, 'build.log');
  const treeAt = (at: { entry: string; dir: string }): WorkTree => {
    const tree: WorkTree = {
      key,
      ...at,
      caches: entry,
      kcflags: DIFF_BUILD_KCFLAGS,
      assumeOld: UNUSED_PREPARE_PARTS,
      runner,
      vars,
      warnings,
      locate: (changed, log) => locateInPreparedTree({ tree, target, changed, log, jobs: options.jobs }),
    };
    return tree;
  };
  const tree: WorkTree = {
    ...treeAt({ entry, dir }),
    copy: async (index, log) => (index === 0 ? tree : treeAt(await treeCopy(entry, dir, index, log))),
  };
  await withDirLock(
    join(entry, 'build.lock'),
    (pid) => log(`waiting for process ${pid}, which is preparing ${dir}`),
    async () => {
      await repairWorkTree(entry, log);
      await onceMarked(entry, 'populated', async () => {
        if (target.source.kind !== 'tarball') throw new Error('a prepared tree is unpacked from a source tarball');
        await unpackTarball(target.source.tarball, target.source.topdir, dir, log);
      });
      await onceMarked(entry, 'configured', async () => {
        await copyFile(target.config, join(dir, '.config'));
        // The kernel build's own Kconfig outputs, when its toolchain is the one here: Kconfig's
        // answers (its ~150 compiler probes, seconds) would be the same. Else Kconfig runs, and
        // the config it resolves must be the kernel's.
        if (target.kconfigOutputsDir && warnings.length === 0) {
          await useKconfigOutputs(target.kconfigOutputsDir, dir);
          log(`configured with the kernel's own Kconfig outputs (${target.kconfigOutputsDir})`);
        } else {
          await runMake({ tree: dir, targets: ['olddefconfig'], logFile, what: 'configuring the tree', runner, vars });
          warnings.push(
            ...(await checkConfigMatches(target.config, join(dir, '.config'), {
              skipCompilerCheck: options.skipCompilerCheck ?? false,
            })),
          );
        }
        checkKernelConfig(await readFile(join(dir, '.config'), 'utf8'), 'build');
      });
      await onceMarked(entry, 'prepared', async () => {
        log(
          `preparing the tree for ${kernelRelease} (make prepare modules_prepare, -j${options.jobs}; log: ${logFile})`,
        );
        const started = Date.now();
        await runMake({
          tree: dir,
          targets: ['prepare', 'modules_prepare'],
          jobs: options.jobs,
          logFile,
          runner,
          vars,
          assumeOld: UNUSED_PREPARE_PARTS,
          what: 'preparing the tree',
        });
        // modpost of the livepatch module reads the running kernel's exports and CRCs from here.
        await copyFile(target.symvers, join(dir, 'Module.symvers'));
        log(`tree prepared in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      });
    },
  );
  return tree;
}
