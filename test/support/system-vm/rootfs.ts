import { chmod, cp, mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { configuredAptSources, debianMirrorFrom } from '../../../src/toolchain/container/debian-mirror.js';
import { DEFAULT_DISTRO, distroOf } from '../../../src/kernel/distributions.js';
import { cacheRoot } from '../../../src/util/cache.js';
import { CACHE_FORMATS } from '../../../src/util/cache-formats.js';
import { sha256 } from '../../../src/util/hash.js';
import { withDirLock } from '../../../src/util/lock.js';
import type { Logger } from '../../../src/util/log.js';
import { onceMarked } from '../../../src/util/stage-marker.js';
import {
  DRIVER_PATH,
  DRIVER_SCRIPT,
  DRIVER_SERVICE,
  DRIVER_UNIT,
  FSTAB,
  INITRAMFS_INIT,
  MASKED_UNITS,
  ROOT_DISK_MODULES,
} from './guest-files.js';

/** What the root file system is made from; every field is part of the cache key. */
export interface RootfsRecipe {
  suite: string;
  variant: string;
  include: readonly string[];
  /** The kernel release whose modules are copied in, and the directory they come from. */
  release: string;
  modulesDir: string;
  sizeGiB: number;
}

/** The system of the default distribution release (rootfsFor gives a distribution kernel its own release's suite). */
export const DEFAULT_ROOTFS: Omit<RootfsRecipe, 'release' | 'modulesDir'> = {
  suite: DEFAULT_DISTRO.codename,
  variant: 'minbase',
  include: ['systemd', 'systemd-sysv', 'kmod', 'udev', 'apt'],
  sizeGiB: 2,
};

/** The root file system for a distribution kernel RELEASE: its own distribution release's system (the default's for another kernel). */
export function rootfsFor(release: string, modulesDir: string): RootfsRecipe {
  return { ...DEFAULT_ROOTFS, suite: (distroOf(release) ?? DEFAULT_DISTRO).codename, release, modulesDir };
}

export function rootfsKey(recipe: RootfsRecipe): string {
  return sha256(
    JSON.stringify({
      v: CACHE_FORMATS.systemVmRootfs,
      recipe,
      files: [FSTAB, DRIVER_SCRIPT, DRIVER_SERVICE, MASKED_UNITS, INITRAMFS_INIT, ROOT_DISK_MODULES],
    }),
  ).slice(0, 20);
}

/**
 * A raw ext4 disk image holding a Debian system with systemd (debootstrap), the kernel's
 * modules and the test driver, built once and cached under the tool's cache. The key covers
 * the recipe, the modules' directory (which names the package version) and the guest files,
 * so a stale image is never used. Boots take copy-on-write overlays of it, never write it.
 */
export async function systemRootfs(recipe: RootfsRecipe, log: Logger): Promise<string> {
  const entry = join(cacheRoot(), 'system-vm', rootfsKey(recipe));
  const disk = join(entry, 'disk.img');
  await mkdir(entry, { recursive: true });
  return withDirLock(
    join(entry, 'lock'),
    (pid) => log(`waiting for process ${pid} building ${entry}`),
    async () => {
      if (await stat(join(entry, 'disk.ok')).catch(() => undefined)) return disk;
      const tree = join(entry, 'rootfs');
      await onceMarked(entry, 'debootstrap', async () => {
        await rm(tree, { recursive: true, force: true });
        const mirror = debianMirrorFrom(await configuredAptSources(), recipe.suite) ?? 'http://deb.debian.org/debian';
        log(`debootstrap ${recipe.suite} (${recipe.variant}) from ${mirror}`);
        await execa(
          'debootstrap',
          [`--variant=${recipe.variant}`, `--include=${recipe.include.join(',')}`, recipe.suite, tree, mirror],
          { stdout: 'ignore', stderr: 'pipe' },
        );
      });
      await onceMarked(entry, 'configure', async () => {
        log(`configuring the root file system (modules of ${recipe.release})`);
        const modules = join(tree, 'usr/lib/modules', recipe.release);
        await rm(modules, { recursive: true, force: true });
        await cp(recipe.modulesDir, modules, { recursive: true, dereference: false, verbatimSymlinks: true });
        await execa('depmod', ['-b', tree, recipe.release]);
        await configure(tree);
      });
      log(`mkfs.ext4 -d (${recipe.sizeGiB} GiB)`);
      await rm(disk, { force: true });
      await execa('mkfs.ext4', ['-q', '-F', '-d', tree, '-L', 'root', disk, `${recipe.sizeGiB}G`]);
      await writeFile(join(entry, 'disk.ok'), new Date().toISOString() + '\n');
      // The tree is in the image now; keeping it would double the entry's size.
      await rm(tree, { recursive: true, force: true });
      return disk;
    },
  );
}

async function configure(tree: string): Promise<void> {
  const etc = join(tree, 'etc');
  await writeFile(join(etc, 'fstab'), FSTAB);
  await writeFile(join(etc, 'hostname'), 'tsbp-guest\n');
  // No network in the guest: a mirror line would only make apt-get update wait and fail.
  await writeFile(join(etc, 'apt/sources.list'), '');
  await writeFile(join(tree, DRIVER_PATH), DRIVER_SCRIPT);
  await chmod(join(tree, DRIVER_PATH), 0o755);
  const system = join(etc, 'systemd/system');
  await writeFile(join(system, DRIVER_UNIT), DRIVER_SERVICE);
  await mkdir(join(system, 'multi-user.target.wants'), { recursive: true });
  await relink(`/etc/systemd/system/${DRIVER_UNIT}`, join(system, 'multi-user.target.wants', DRIVER_UNIT));
  for (const unit of MASKED_UNITS) await relink('/dev/null', join(system, unit));
}

async function relink(target: string, path: string): Promise<void> {
  await rm(path, { force: true });
  await symlink(target, path);
}
