import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { acquireDistroKernel } from '../../../src/sources/debian/acquire.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';
import { debianReleases } from './releases.js';

const [release] = await debianReleases();

// --kernel running: the files installed on the machine (/boot, /lib/modules, /usr/src, /usr/lib/debug)
// are used where they are; only what is missing comes from the archive. Here "installed" is a
// root made of links to a release's unpacked packages, with the debug package left out.
describe(`a kernel's installed files (${release})`, () => {
  it('are used where they are, the missing ones fetched', async () => {
    const fetched = await acquireDistroKernel(DEBIAN_BOOKWORM, release, { log: () => {} });
    const { path: root } = await tmpDir({ unsafeCleanup: true });
    const paths = DEBIAN_BOOKWORM.paths(release);
    const install = async (path: string, from: string) => {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await symlink(from, join(root, path));
    };
    await install(paths.vmlinuz, fetched.vmlinuz);
    await install(paths.modulesDir, fetched.modulesDir);
    await install(paths.config, fetched.config);
    await install(paths.symvers, fetched.symvers);
    const lines: string[] = [];
    const kernel = await acquireDistroKernel(DEBIAN_BOOKWORM, release, {
      log: (l) => lines.push(l),
      installedRoot: root,
    });
    expect(kernel.vmlinuz).toBe(join(root, paths.vmlinuz));
    expect(kernel.modulesDir).toBe(join(root, paths.modulesDir));
    expect(kernel.config).toBe(join(root, paths.config));
    expect(kernel.symvers).toBe(join(root, paths.symvers));
    // Not installed: the debug vmlinux and the source come from the cache of the archive's packages.
    expect(kernel.vmlinux).toBe(fetched.vmlinux);
    expect(kernel.sourceTarball).toBe(fetched.sourceTarball);
    expect(lines.filter((l) => l.startsWith('downloading'))).toEqual([]); // already cached
  });
});
