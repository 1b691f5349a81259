import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { bootTarget, guestModules } from '../../../src/vm/boot-target.js';
import { runInVm } from '../../../src/vm/run-in-vm.js';
import { buildLivepatch, load, unload } from '../e2e/harness.js';
import { debianReleases } from './releases.js';
import { debian13TestReleases } from '../debian13/releases.js';
import { KernelModules } from '../../../src/kernel/kernel-modules.js';
import { selectRunner } from '../../../src/toolchain/container/select-runner.js';

const PATCH = fileURLToPath(new URL('../../patches/debian/minix-v2-block-to-path.patch', import.meta.url));
const [debian12] = await debianReleases();
const debian13 = (await debian13TestReleases()).trixie[0];
// Debian 13's kernel is built with its own compiler, in its builder image.
const podman = await selectRunner('podman', (line) => process.stderr.write(`  [podman] ${line}\n`));
const KERNELS = [
  { kernel: debian12, runner: undefined },
  { kernel: debian13, runner: podman },
];

/** A minix file system image of VERSION (1 or 2), made with util-linux's mkfs.minix. */
async function minixImage(dir: string, version: 1 | 2): Promise<Buffer> {
  const path = join(dir, `v${version}.img`);
  await execa('dd', ['if=/dev/zero', `of=${path}`, 'bs=1k', 'count=1024', 'status=none']);
  await execa('mkfs.minix', [`-${version}`, path]);
  return readFile(path);
}

// minix.ko has two static functions named block_to_path (itree_v1.c and itree_v2.c; Debian's
// modules carry no STT_FILE symbols to tell them apart). The patch changes the second: the
// livepatch must name it by its position in the module's symbol table, and only a minix v2
// file system may see the change.
// On Debian 12's and Debian 13's newest kernels (6.1: the function is block_to_path.isra.0;
// modules .ko, or .ko.xz given to the guest decompressed).
describe.each(KERNELS)(
  `two same-named static functions of one module of Debian's kernel $kernel`,
  ({ kernel, runner }) => {
    it('patches the one the patch changed, not its namesake', async () => {
      const { ko, report } = await buildLivepatch(PATCH, {
        kernel,
        name: 'livepatch-minix',
        ...(runner ? { runner } : {}),
      });
      const objects = report.objects.map((o) => [o.object, o.target]);
      expect(objects).toEqual([['fs/minix/itree_v2.o', 'minix']]);
      const changed = report.objects[0]!.changedFunctions;
      expect(changed).toHaveLength(1);
      expect(changed[0]).toMatch(/^block_to_path(\.isra\.0)?$/);
      const { path: dir } = await tmpDir({ unsafeCleanup: true });
      const boot = await bootTarget(kernel, () => {});
      const [loop] = await (await KernelModules.read(boot.modulesDir!)).withDependencies(['loop']);
      const modules = await guestModules([loop!, ko], boot.modulesDir);
      const files = { 'v1.img': await minixImage(dir, 1), 'v2.img': await minixImage(dir, 2) };
      const vm = await runInVm({
        bzImage: boot.image,
        memoryMiB: boot.memoryMiB,
        modules,
        kernelModulesDir: boot.modulesDir,
        files,
        timeoutMs: 300_000,
        script: `
        insmod ./loop.ko; insmod ./minix.ko; report mods $?
        mkdir -p /m1 /m2
        losetup /dev/loop0 /v1.img && losetup /dev/loop1 /v2.img && mount -t minix /dev/loop0 /m1 && mount -t minix /dev/loop1 /m2; report mounts $?
        ${load(ko)}
        report sysfs "$(ls /sys/kernel/livepatch/livepatch_minix/minix/)"
        echo one > /m1/file; sync
        report after_v1 "$(dmesg | grep -c tsbp-minix)"
        echo two > /m2/file; sync
        report after_v2 "$(dmesg | grep -c tsbp-minix)"
        report read "$(cat /m1/file) $(cat /m2/file)"
        ${unload(ko)}
        umount /m1 /m2; report umount $?`,
      });
      expect(vm.status).toBe('ok');
      expect(vm.values['mods']).toBe('0');
      expect(vm.values['mounts']).toBe('0');
      expect(vm.values['load']).toBe('0');
      // The second of the two in minix.ko's symbol table.
      expect(vm.values['sysfs']).toBe(`${changed[0]},2`);
      expect(vm.values['after_v1']).toBe('0');
      expect(vm.values['after_v2']).toBe('1');
      expect(vm.values['read']).toBe('one two');
      expect(vm.values['unload']).toBe('0');
      expect(vm.kernelLog).not.toMatch(/Oops|BUG:|WARNING:/);
    });
  },
);
