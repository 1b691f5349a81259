import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { distroTarget } from '../../../src/sources/distro-target.js';
import type { Logger } from '../../../src/util/log.js';
import { rootDiskInitramfs } from './root-disk-initramfs.js';
import type { SystemImage } from './machine.js';
import { extractPvhKernel } from './pvh-kernel.js';
import { rootfsFor, systemRootfs } from './rootfs.js';

/**
 * A Debian system with systemd (of RELEASE's own distribution release) on a distribution kernel
 * RELEASE: the kernel's packages come from the kernel cache (distroTarget), the root disk is
 * debootstrapped once and cached; the initramfs and the PVH kernel are made once beside it (the
 * entry's key covers their inputs).
 */
export async function debianSystemImage(release: string, log: Logger): Promise<SystemImage> {
  const target = await distroTarget(release, log);
  if (!target.vmlinuz) throw new Error(`no vmlinuz for ${release}`);
  const disk = await systemRootfs(rootfsFor(release, target.modulesDir), log);
  const entry = dirname(disk);
  const initrd = join(entry, 'initrd.img');
  if (!(await stat(initrd).catch(() => undefined))) {
    await mkdir(entry, { recursive: true });
    const partial = `${initrd}.${process.pid}.partial`;
    await writeFile(partial, await rootDiskInitramfs(target.modulesDir));
    await rename(partial, initrd);
  }
  const kernel = await extractPvhKernel(target.vmlinuz, join(entry, 'vmlinux.pvh'));
  return { release, kernel, initrd, disk };
}
