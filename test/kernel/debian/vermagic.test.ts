import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { kernelVermagic, vmlinuxRelease } from '../../../src/kernel/vermagic.js';
import { distroTarget } from '../../../src/sources/distro-target.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { testKernel } from '../test-kernel.js';
import { debianReleases } from './releases.js';

const RELEASES = await debianReleases();

// Without a modules directory the vermagic is computed from vmlinux (its banner) and the config:
// it must be what the kernel's own modules carry.
describe("the running kernel's vermagic without its modules", () => {
  it.each(RELEASES)("Debian %s: equals its modules' vermagic", async (release) => {
    const target = await distroTarget(release, () => {});
    expect(await vmlinuxRelease(target.vmlinux)).toBe(release);
    const module = modinfoValue(await readElf(join(target.modulesDir, 'kernel/fs/binfmt_misc.ko')), 'vermagic');
    expect(await kernelVermagic(target.vmlinux, target.config)).toBe(module);
  });

  it("the test kernel: equals its modules' vermagic", async () => {
    const kernel = await testKernel();
    const module = modinfoValue(
      await readElf(join(kernel.modulesDir, 'kernel/samples/livepatch/livepatch-sample.ko')),
      'vermagic',
    );
    expect(await kernelVermagic(kernel.vmlinux, kernel.config)).toBe(module);
  });
});
