import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boot, buildFailure, buildLivepatch, load, unload } from '../e2e/harness.js';
import { debianReleases } from './releases.js';
import { readElf, readModinfo } from '../../../src/elf/index.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { RefusedError } from '../../../src/util/errors.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
const BINFMT = fileURLToPath(new URL('../../patches/debian/binfmt-misc-status.patch', import.meta.url));
const NAMESPACE = fileURLToPath(new URL('../../patches/debian/namespace-import.patch', import.meta.url));
const STATUS = '/proc/sys/fs/binfmt_misc/status';

const RELEASES = await debianReleases();

// Each case: build against Debian's own kernel (its packages, a prepared tree, only the affected
// objects compiled), boot that kernel's vmlinuz under qemu, observe before / patched / after.
describe.each(RELEASES)("Debian's kernel %s", (kernel) => {
  const options = { kernel };

  it('a /proc show function of vmlinux', async () => {
    const { ko, report } = await buildLivepatch(EXAMPLE, { ...options, name: 'livepatch-cmdline' });
    expect(report.kernelRelease).toBe(kernel);
    expect(modinfoValue(await readElf(ko), 'vermagic')).toBe(`${kernel} SMP preempt mod_unload modversions `);
    expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
      ['fs/proc/cmdline.o', 'vmlinux', ['cmdline_proc_show']],
    ]);
    const vm = await boot(
      [ko],
      `
      report release "$(uname -r)"
      report before "$(cat /proc/cmdline)"
      ${load(ko)}
      report during "$(cat /proc/cmdline)"
      ${unload(ko)}
      report after "$(cat /proc/cmdline)"`,
      undefined,
      options,
    );
    expect(vm.values['release']).toBe(kernel);
    expect(vm.values['load']).toBe('0');
    expect(vm.values['load_wait']).toBe('0');
    expect(vm.values['during']).toBe(`${vm.values['before']} livepatch=tsbuild-patch`);
    expect(vm.values['after']).toBe(vm.values['before']);
    expect(vm.values['unload']).toBe('0');
    expect(vm.kernelLog).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);
  });

  it('a function of a module of the image, loaded before and after the livepatch', async () => {
    const { ko, report } = await buildLivepatch(BINFMT, { ...options, name: 'livepatch-binfmt' });
    expect(report.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
      ['fs/binfmt_misc.o', 'binfmt_misc', ['bm_status_read']],
    ]);
    // Module first, then the livepatch.
    const before = await boot(
      [ko],
      `
      insmod ./binfmt_misc.ko; report mod $?
      mount -t binfmt_misc none /proc/sys/fs/binfmt_misc; report mount $?
      report before "$(cat ${STATUS})"
      ${load(ko)}
      report patched "$(cat /sys/kernel/livepatch/livepatch_binfmt/binfmt_misc/patched)"
      report during "$(cat ${STATUS})"
      ${unload(ko)}
      report after "$(cat ${STATUS})"
      umount /proc/sys/fs/binfmt_misc; rmmod binfmt_misc; report rmmod $?`,
      undefined,
      options,
    );
    expect(before.values['mod']).toBe('0');
    expect(before.values['mount']).toBe('0');
    expect(before.values['before']).toBe('enabled');
    expect(before.values['load']).toBe('0');
    expect(before.values['patched']).toBe('1');
    expect(before.values['during']).toBe('enabled (livepatched)');
    expect(before.values['unload']).toBe('0');
    expect(before.values['after']).toBe('enabled');
    expect(before.values['rmmod']).toBe('0');
    expect(before.kernelLog).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);
    // The livepatch first: the module is patched as it loads.
    const after = await boot(
      [ko],
      `
      ${load(ko)}
      report patched_before "$(cat /sys/kernel/livepatch/livepatch_binfmt/binfmt_misc/patched)"
      insmod ./binfmt_misc.ko; report mod $?
      report patched_after "$(cat /sys/kernel/livepatch/livepatch_binfmt/binfmt_misc/patched)"
      mount -t binfmt_misc none /proc/sys/fs/binfmt_misc
      report during "$(cat ${STATUS})"
      ${unload(ko)}
      report after "$(cat ${STATUS})"`,
      undefined,
      options,
    );
    expect(after.values['load']).toBe('0');
    expect(after.values['patched_before']).toBe('0');
    expect(after.values['mod']).toBe('0');
    expect(after.values['patched_after']).toBe('1');
    expect(after.values['during']).toBe('enabled (livepatched)');
    expect(after.values['unload']).toBe('0');
    expect(after.values['after']).toBe('enabled');
    expect(after.kernelLog).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);
  });

  it('an export of a symbol namespace: the module imports the namespace', async () => {
    const { ko } = await buildLivepatch(NAMESPACE, { ...options, name: 'livepatch-namespace' });
    const imports = readModinfo((await readElf(ko)).sectionByName('.modinfo')!)
      .filter((e) => e.key === 'import_ns')
      .map((e) => e.value);
    expect(imports).toEqual(['DMA_BUF']);
    const vm = await boot(
      [ko],
      `${load(ko)}
      report out "$(tail -n 1 /proc/version)"
      ${unload(ko)}`,
      undefined,
      options,
    );
    expect(vm.values['load']).toBe('0');
    expect(vm.values['out']).toBe('dma-buf namespace: 1');
    expect(vm.values['unload']).toBe('0');
    expect(vm.kernelLog).not.toMatch(/does not import|Oops|BUG:|WARNING:/);
  });

  it('a new function', async () => {
    const { ko, report } = await buildLivepatch('new-function', options);
    expect(report.objects[0]?.newFunctions).toEqual(['tsbp_version_extra']);
    const vm = await boot(
      [ko],
      `${load(ko)}\nreport out "$(tail -n 1 /proc/version)"\n${unload(ko)}`,
      undefined,
      options,
    );
    expect(vm.values['out']).toBe('new-function: 42');
    expect(vm.values['unload']).toBe('0');
  });

  it('a new global defined in one file and used by another', async () => {
    const { ko, report } = await buildLivepatch('new-global', options);
    expect(report.objects.flatMap((o) => o.newFunctions)).toEqual(['tsbp_banner']);
    const vm = await boot(
      [ko],
      `${load(ko)}
      report version "$(tail -n 1 /proc/version)"
      report loadavg "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}`,
      undefined,
      options,
    );
    expect(vm.values['version']).toBe('new-global: banner (version)');
    expect(vm.values['loadavg']).toBe('new-global: banner (loadavg)');
    expect(vm.values['unload']).toBe('0');
  });

  it('shadow variables and callbacks', async () => {
    const shadow = await buildLivepatch('shadow-variable', options);
    const callbacks = await buildLivepatch('callbacks', { ...options, replace: false });
    const vm = await boot(
      [shadow.ko, callbacks.ko],
      `${load(shadow.ko, 's')}
      report first "$(tail -n 1 /proc/version)"
      report second "$(tail -n 1 /proc/version)"
      ${unload(shadow.ko, 's_unload')}
      ${load(callbacks.ko, 'c')}
      report callbacks "$(tail -n 1 /proc/version)"
      ${unload(callbacks.ko, 'c_unload')}`,
      undefined,
      options,
    );
    expect(vm.values['first']).toBe('shadow reads=1');
    expect(vm.values['second']).toBe('shadow reads=2');
    expect(vm.kernelLog).toContain('tsbp-shadow: freed');
    expect(vm.values['callbacks']).toBe('callbacks: patched');
    const order = [...vm.kernelLog.matchAll(/tsbp-callbacks: (\w+)/g)].map((m) => m[1]);
    expect(order).toEqual(['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch']);
    expect([vm.values['s_unload'], vm.values['c_unload']]).toEqual(['0', '0']);
  });

  it('an inline function changed in a header', async () => {
    const { ko, report } = await buildLivepatch('header-inline', options);
    const changed = report.objects.filter((o) => o.outcome === 'changed');
    expect(changed.map((o) => o.object)).toContain('fs/proc/fd.o');
    const vm = await boot(
      [ko],
      `
      cat /proc/self/fdinfo/0 > /dev/null
      ${load(ko)}
      cat /proc/self/fdinfo/0 > /dev/null; report read $?
      ${unload(ko)}`,
      undefined,
      options,
    );
    expect(vm.values['read']).toBe('0');
    expect(vm.kernelLog).toContain('tsbp-header: proc_fd() from the patched header');
    expect(vm.values['unload']).toBe('0');
  });

  it('atomic replace of one patch by another', async () => {
    const a = await buildLivepatch('replace-a', { ...options, name: 'livepatch-replace-a' });
    const b = await buildLivepatch('replace-b', { ...options, name: 'livepatch-replace-b' });
    const vm = await boot(
      [a.ko, b.ko],
      `
      ${load(a.ko, 'a')}
      report loadavg_a "$(tail -n 1 /proc/loadavg)"
      ${load(b.ko, 'b')}
      klp_wait_gone livepatch_replace_a; report a_gone $?
      report loadavg_b "$(tail -n 1 /proc/loadavg)"
      report version_b "$(tail -n 1 /proc/version)"
      rmmod livepatch_replace_a; report rmmod_a $?
      ${unload(b.ko, 'b_unload')}`,
      undefined,
      options,
    );
    expect(vm.values['loadavg_a']).toBe('patch A');
    expect(vm.values['a_gone']).toBe('0');
    expect(vm.values['loadavg_b']).not.toContain('patch A');
    expect(vm.values['version_b']).toBe('patch B');
    expect(vm.values['rmmod_a']).toBe('0');
    expect(vm.values['b_unload']).toBe('0');
  });

  it('refuses a change to an __init function and to existing data, with the reason', async () => {
    const init = await buildFailure('refuse-init', options);
    expect(init.exitCode).toBe(2);
    expect(init.message).toMatch(/proc_cmdline_init|\.init/);
    const data = await buildFailure('refuse-data', options);
    expect(data.exitCode).toBe(2);
    expect(data.message).toMatch(/panic_timeout|\.data/);
    // The --json report gives each reason a category, so a batch can be counted.
    expect(init).toBeInstanceOf(RefusedError);
    expect(new Set((init as RefusedError).reasons.map((r) => r.category))).toEqual(new Set(['init-code']));
    expect((data as RefusedError).reasons.map((r) => [r.object, r.category])).toEqual([
      ['kernel/panic.o', 'existing-data'],
    ]);
  });
});
