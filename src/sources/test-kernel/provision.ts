import { access, mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { cacheRoot } from '../../util/cache.js';
import { sha256 } from '../../util/hash.js';
import { withDirLock } from '../../util/lock.js';
import { onceMarked } from '../../util/stage-marker.js';
import { unpackTarball } from '../../kbuild/populate-tree.js';
import type { Logger } from '../../util/log.js';
import { CACHE_FORMATS } from '../../util/cache-formats.js';
import { compilerIdentity } from '../../toolchain/compiler.js';
import { ensurePackages, KERNEL_BUILD_PACKAGES } from '../../toolchain/host-packages.js';
import { appendFragment, verifyOptions } from '../../kbuild/config-fragment.js';
import { renderFragment } from '../../kernel/kconfig.js';
import { kernelRelease, runMake } from '../../kbuild/make.js';
import { TEST_KERNEL_OPTIONS } from './options.js';
import {
  identifySourcePackage,
  SOURCE_PACKAGE,
  SOURCE_TARBALL,
  SOURCE_TOPDIR,
  type SourcePackage,
} from './source-package.js';

/** What a provisioned test kernel provides (the `--json` output of scripts/test-kernel.ts). */
export interface TestKernel {
  source: string;
  config: string;
  bzImage: string;
  vmlinux: string;
  systemMap: string;
  moduleSymvers: string;
  modulesDir: string;
  release: string;
}

export interface ProvisionOptions {
  log: Logger;
  jobs?: number;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function readComplete(entry: string, log: Logger): Promise<TestKernel | undefined> {
  const kernel = await readJsonCache<TestKernel>(join(entry, 'complete.json'), log);
  if (!kernel) return undefined;
  const paths = [kernel.bzImage, kernel.vmlinux, kernel.systemMap, kernel.moduleSymvers, kernel.modulesDir];
  for (const path of paths) if (!(await exists(path))) return undefined;
  return kernel;
}

/** Unpack the tarball into ENTRY/linux, through a temporary directory so a half-unpacked tree is never used. */
async function configure(entry: string, tree: string, log: Logger): Promise<void> {
  await onceMarked(entry, 'configured', async () => {
    log('configuring: tinyconfig + test-kernel options');
    const logFile = join(entry, 'build.log');
    await runMake({ tree, targets: ['tinyconfig'], logFile, what: 'kernel config' });
    await appendFragment(tree, TEST_KERNEL_OPTIONS);
    await runMake({ tree, targets: ['olddefconfig'], logFile, what: 'kernel config' });
    await verifyOptions(tree, TEST_KERNEL_OPTIONS);
  });
}

async function build(entry: string, tree: string, jobs: number, log: Logger): Promise<TestKernel> {
  const logFile = join(entry, 'build.log');
  log(`building bzImage and modules with -j${jobs} (several minutes on a cold cache; log: ${logFile})`);
  const started = Date.now();
  await runMake({ tree, targets: ['bzImage', 'modules'], jobs, logFile, what: 'test kernel build' });
  const modulesRoot = join(entry, 'modules');
  await rm(modulesRoot, { recursive: true, force: true });
  await runMake({
    tree,
    targets: ['modules_install'],
    logFile,
    what: 'test kernel modules_install',
    vars: { INSTALL_MOD_PATH: modulesRoot },
  });
  const release = await kernelRelease(tree);
  log(`built ${release} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return {
    source: tree,
    config: join(tree, '.config'),
    bzImage: join(tree, 'arch/x86/boot/bzImage'),
    vmlinux: join(tree, 'vmlinux'),
    systemMap: join(tree, 'System.map'),
    moduleSymvers: join(tree, 'Module.symvers'),
    modulesDir: join(modulesRoot, 'lib/modules', release),
    release,
  };
}

/** The cache key of the test kernel: source content, configuration, compiler, recipe. */
export async function testKernelKey(source: SourcePackage): Promise<string> {
  const compiler = await compilerIdentity();
  return sha256(
    JSON.stringify({
      recipe: CACHE_FORMATS.testKernel,
      arch: 'x86_64',
      source: source.sha256,
      config: renderFragment(TEST_KERNEL_OPTIONS),
      compiler,
    }),
  ).slice(0, 20);
}

/**
 * Provision the test kernel (the RUNNING kernel: no -ffunction-sections), building it once per
 * cache key. Safe to interrupt: each stage leaves a marker only when complete, and the result is
 * recorded last; a later call resumes.
 */
export async function provisionTestKernel(options: ProvisionOptions): Promise<TestKernel> {
  const { log } = options;
  const root = join(cacheRoot(), 'test-kernel');
  await mkdir(root, { recursive: true });
  if (!(await exists(SOURCE_TARBALL))) await ensurePackages([SOURCE_PACKAGE], log);
  const source = await identifySourcePackage(root);
  const key = await testKernelKey(source);
  const entry = join(root, key);
  const ready = await readComplete(entry, log);
  if (ready) return ready;

  await ensurePackages(KERNEL_BUILD_PACKAGES, log);
  await mkdir(entry, { recursive: true });
  return withDirLock(
    join(root, `${key}.lock`),
    (pid) => log(`waiting for process ${pid}, which is building this kernel`),
    async () => {
      const again = await readComplete(entry, log);
      if (again) return again;
      const tree = join(entry, 'linux');
      await onceMarked(entry, 'unpacked', () => unpackTarball(source.tarball, SOURCE_TOPDIR, tree, log));
      await configure(entry, tree, log);
      const jobs = options.jobs ?? availableParallelism();
      const kernel = await build(entry, tree, jobs, log);
      await writeFileAtomic(join(entry, 'complete.json'), JSON.stringify(kernel, null, 2) + '\n');
      return kernel;
    },
  );
}
