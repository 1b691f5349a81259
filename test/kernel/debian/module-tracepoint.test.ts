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

const PATCH = fileURLToPath(new URL('../../patches/debian/ext4-fsync-printk.patch', import.meta.url));
const [kernel] = await debianReleases();

/** An ext4 image as Debian's mkfs.ext4 makes it (metadata_csum: ext4 needs the crc32c algorithm). */
async function ext4Image(dir: string): Promise<Buffer> {
  const path = join(dir, 'ext4.img');
  await execa('mkfs.ext4', ['-q', '-F', path, '8M']);
  return readFile(path);
}

// ext4_sync_file() calls two tracepoints that ext4.ko defines. Their jump labels and static
// calls use keys of the module, which a livepatch cannot keep; the patched function runs with
// those tracepoints off (the report says so), and they fire again once the patch is disabled.
// ext4 also needs its soft dependency crc32c (crc32c_generic) loaded first.
describe(`a patched function of Debian's ${kernel} ext4.ko that calls the module's tracepoints`, () => {
  it('is patched, with its tracepoints off while patched and back after', async () => {
    const { ko, report } = await buildLivepatch(PATCH, { kernel, name: 'livepatch-ext4-fsync' });
    const object = report.objects.find((o) => o.object === 'fs/ext4/fsync.o');
    expect(object).toMatchObject({ target: 'ext4', changedFunctions: ['ext4_sync_file'] });
    expect(object!.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ext4_sync_file: tracepoint ext4_sync_file_enter stays off in the patched function \(its key __tracepoint_ext4_sync_file_enter is one module ext4 owns\)$/,
        ),
        expect.stringMatching(
          /^ext4_sync_file: tracepoint ext4_sync_file_exit stays off .*__SCK__tp_func_ext4_sync_file_exit/,
        ),
      ]),
    );
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    const boot = await bootTarget(kernel, () => {});
    const loop = join(boot.modulesDir!, 'kernel/drivers/block/loop.ko');
    const modules = await guestModules([loop, ko], boot.modulesDir);
    expect(modules.map((m) => m.split('/').pop())).toEqual(expect.arrayContaining(['crc32c_generic.ko', 'ext4.ko']));
    const events = '/sys/kernel/tracing/events/ext4/ext4_sync_file_enter';
    const fsync = (tag: string) => `
        echo 0 > /sys/kernel/tracing/trace
        dd if=/dev/zero of=/mnt/${tag} bs=4k count=1 conv=fsync 2>/dev/null; report ${tag}_dd $?
        report ${tag}_events "$(grep -c 'ext4_sync_file_enter:' /sys/kernel/tracing/trace)"
        report ${tag}_printk "$(dmesg | grep -c tsbp-ext4)"`;
    const vm = await runInVm({
      bzImage: boot.image,
      memoryMiB: boot.memoryMiB,
      modules,
      kernelModulesDir: boot.modulesDir,
      files: { 'ext4.img': await ext4Image(dir) },
      timeoutMs: 300_000,
      script: `
        for m in ${modules
          .filter((m) => m !== ko)
          .map((m) => `./${m.split('/').pop()}`)
          .join(' ')}; do insmod $m || report insmod_failed $m; done
        mkdir -p /mnt /sys/kernel/tracing; mount -t tracefs nodev /sys/kernel/tracing
        losetup /dev/loop0 /ext4.img && mount -t ext4 /dev/loop0 /mnt; report mount $?
        echo 1 > ${events}/enable; report trace_on $?
        ${fsync('before')}
        ${load(ko)}
        report sysfs "$(ls /sys/kernel/livepatch/livepatch_ext4_fsync/ext4/)"
        ${fsync('patched')}
        ${unload(ko)}
        ${fsync('after')}
        umount /mnt; report umount $?`,
    });
    expect(vm.status).toBe('ok');
    expect(vm.values['insmod_failed']).toBeUndefined();
    expect(vm.values['mount']).toBe('0');
    expect(vm.values['trace_on']).toBe('0');
    expect([vm.values['before_dd'], vm.values['before_events'], vm.values['before_printk']]).toEqual(['0', '1', '0']);
    expect(vm.values['load']).toBe('0');
    expect(vm.values['load_wait']).toBe('0');
    expect(vm.values['sysfs']).toBe('ext4_sync_file,1');
    // Patched: the new code runs (one line logged); the patched function's tracepoint is off.
    expect([vm.values['patched_dd'], vm.values['patched_events'], vm.values['patched_printk']]).toEqual([
      '0',
      '0',
      '1',
    ]);
    expect(vm.values['unload']).toBe('0');
    expect([vm.values['after_dd'], vm.values['after_events'], vm.values['after_printk']]).toEqual(['0', '1', '1']);
    expect(vm.values['umount']).toBe('0');
    expect(vm.kernelLog).not.toMatch(/Oops|BUG:|WARNING:|Call Trace/);
  });
});
