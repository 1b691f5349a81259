/**
 * The workload a corpus entry's livepatch runs under, chosen from the patched file's subsystem
 * (scripts/corpus/workloads.ts): which one, what it needs in the guest, valid shell, and the
 * file operations really run (busybox, as in the guest) in a scratch directory.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { workloadFor } from '../../../scripts/corpus/workloads.js';

const SHELL = existsSync('/bin/busybox') ? ['/bin/busybox', 'sh'] : ['sh'];

describe('workloadFor', () => {
  it.each([
    ['fs/proc/cmdline.c', ['vmlinux'], 'proc'],
    ['fs/kernfs/dir.c', ['vmlinux'], 'sysfs'],
    ['drivers/base/core.c', ['vmlinux'], 'sysfs'],
    ['fs/ext4/inode.c', ['ext4'], 'ext4 on a loop device'],
    ['fs/fat/inode.c', ['fat'], 'vfat on a loop device'],
    ['fs/fat/namei_msdos.c', ['msdos'], 'msdos on a loop device'],
    ['net/ipv4/tcp.c', ['vmlinux'], 'networking on lo'],
    ['net/ipv6/route.c', ['vmlinux'], 'networking on lo'],
    ['net/socket.c', ['vmlinux'], 'networking on lo'],
    ['fs/namei.c', ['vmlinux'], 'files on tmpfs'],
    ['mm/shmem.c', ['vmlinux'], 'files on tmpfs'],
  ])('%s (%s): %s', (file, targets, name) => {
    expect(workloadFor(file, targets)?.name).toBe(name);
  });

  it('reloads a target module where its subsystem has no workload of its own', () => {
    const workload = workloadFor('drivers/net/virtio_net.c', ['virtio_net'], { virtio_net: 'virtio_net.ko' });
    expect(workload).toEqual({
      name: 'a reload of virtio_net',
      script: 'rmmod virtio_net && insmod ./virtio_net.ko',
      modules: [],
    });
  });

  it('has none where none is cheap: the entry is then honestly not exercised', () => {
    expect(workloadFor('kernel/futex/core.c', ['vmlinux'])).toBeUndefined();
    expect(workloadFor('fs/crypto/policy.c', ['vmlinux'])).toBeUndefined();
    // A module target whose guest file is not known is not reloaded.
    expect(workloadFor('drivers/net/virtio_net.c', ['virtio_net'])).toBeUndefined();
  });

  it('asks for the modules a loop device and its file system need', () => {
    expect(workloadFor('fs/ext4/super.c', ['ext4'])?.modules).toEqual(['loop', 'ext4']);
    expect(workloadFor('fs/fat/dir.c', ['fat'])?.modules).toEqual(
      expect.arrayContaining(['loop', 'vfat', 'nls_cp437']),
    );
  });

  it('gives valid shell for every subsystem', async () => {
    for (const file of ['fs/proc/a.c', 'fs/sysfs/a.c', 'fs/ext4/a.c', 'fs/fat/a.c', 'net/core/a.c', 'fs/a.c'])
      await execa('sh', ['-n'], { input: workloadFor(file, ['vmlinux'])!.script });
  });

  it('runs its file operations with the shell and applets of the guest, leaving nothing behind', async () => {
    const scratch = await dir({ unsafeCleanup: true });
    const script = workloadFor('fs/namei.c', ['vmlinux'])!.script.replaceAll('/tmp/w', scratch.path);
    const run = await execa(SHELL[0]!, [...SHELL.slice(1), '-c', `set -e\n${script}`], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('hello');
    expect(await readdir(scratch.path)).toEqual([]);
    await scratch.cleanup();
  });
});
