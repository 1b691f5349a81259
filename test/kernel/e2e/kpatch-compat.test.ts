import { describe, expect, it } from 'vitest';
import { boot, buildFailure, buildLivepatch, load, unload } from './harness.js';

// Patches written for kpatch-build, using its "kpatch-macros.h" and "kpatch-syscall.h" as
// kpatch's patch author guide shows: each builds, loads in the test kernel, does what the
// macros promise, and is disabled and unloaded again.

describe('patches written for kpatch', () => {
  it('callbacks, a shadow variable and KPATCH_PRINTK from kpatch-macros.h', async () => {
    const { ko, report } = await buildLivepatch('kpatch-callbacks');
    const object = report.objects.find((o) => o.object === 'fs/proc/cmdline.o');
    expect(object?.changedFunctions).toEqual(['cmdline_proc_show']);
    expect(object?.callbacks.map((c) => `${c.hook}:${c.function}`).sort()).toEqual([
      'post_patch:kpatch_post_patch_cmdline',
      'post_unpatch:kpatch_post_unpatch_cmdline',
      'pre_patch:kpatch_pre_patch_cmdline',
      'pre_unpatch:kpatch_pre_unpatch_cmdline',
    ]);
    const vm = await boot(
      [ko],
      `
      report before "$(tail -n 1 /proc/cmdline)"
      ${load(ko)}
      report first "$(tail -n 1 /proc/cmdline)"
      report second "$(tail -n 1 /proc/cmdline)"
      ${unload(ko)}
      report after "$(tail -n 1 /proc/cmdline)"`,
    );
    expect(vm.values['load']).toBe('0');
    expect(vm.values['first']).toBe('kpatch-shadow: reads=1');
    expect(vm.values['second']).toBe('kpatch-shadow: reads=2');
    expect(vm.values['before']).not.toContain('kpatch');
    expect(vm.values['after']).toBe(vm.values['before']);
    // Each callback ran once, in the livepatch core's order, for vmlinux (a complete patch_object).
    const hooks = [...vm.kernelLog.matchAll(/kpatch-callbacks: (\w+) (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(hooks).toEqual(['pre_patch vmlinux', 'post_patch vmlinux', 'pre_unpatch vmlinux', 'post_unpatch vmlinux']);
    expect(vm.kernelLog).toContain('kpatch-printk: /proc/cmdline read 1');
    expect(vm.kernelLog).toContain('kpatch-printk: /proc/cmdline read 2');
    expect(vm.values['unload']).toBe('0');
  });

  it('KPATCH_IGNORE_SECTION leaves out an __init change, KPATCH_IGNORE_FUNCTION a function', async () => {
    const { ko, report } = await buildLivepatch('kpatch-ignore');
    const uptime = report.objects.find((o) => o.object === 'fs/proc/uptime.o');
    expect(uptime?.outcome).toBe('changed');
    expect(uptime?.changedFunctions).toEqual(['uptime_proc_show']);
    expect(uptime?.notes).toContain('ignoring section: .init.text');
    const loadavg = report.objects.find((o) => o.object === 'fs/proc/loadavg.o');
    expect(loadavg?.changedFunctions ?? []).toEqual([]);
    expect(loadavg?.notes).toContain('ignoring function: loadavg_proc_show');
    const vm = await boot(
      [ko],
      `
      ${load(ko)}
      report uptime "$(tail -n 1 /proc/uptime)"
      report loadavg "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}
      report uptime_after "$(tail -n 1 /proc/uptime)"`,
    );
    expect(vm.values['load']).toBe('0');
    expect(vm.values['uptime']).toBe('kpatch-ignore: uptime');
    expect(vm.values['loadavg']).not.toContain('kpatch');
    expect(vm.values['uptime_after']).not.toContain('kpatch');
    expect(vm.kernelLog).not.toContain('kpatch-ignore: /proc/uptime registered');
    expect(vm.values['unload']).toBe('0');
  });

  it('KPATCH_STATIC_CALL calls through the static call key; KPATCH_PRINTK_DEFERRED logs', async () => {
    const { ko, report } = await buildLivepatch('kpatch-static-call');
    const object = report.objects.find((o) => o.object === 'fs/proc/version.o');
    expect(object?.changedFunctions).toEqual(['version_proc_show']);
    // The key is a non-exported vmlinux symbol, reached through a livepatch relocation.
    expect(object?.klpSymbols.join('\n')).toContain('__SCK__pv_steal_clock');
    const vm = await boot(
      [ko],
      `
      ${load(ko)}
      report during "$(tail -n 1 /proc/version)"
      ${unload(ko)}
      report after "$(tail -n 1 /proc/version)"`,
    );
    expect(vm.values['load']).toBe('0');
    // qemu -accel tcg offers no KVM steal time: the static call targets the native clock.
    expect(vm.values['during']).toBe('kpatch-static-call: native_steal_clock 0');
    expect(vm.values['after']).not.toContain('kpatch');
    expect(vm.kernelLog).toContain('kpatch-printk-deferred: /proc/version read');
    expect(vm.values['unload']).toBe('0');
  });

  it('KPATCH_SYSCALL_DEFINE1/2 replace the syscall entry points of uname and sethostname', async () => {
    const { ko, report } = await buildLivepatch('kpatch-syscall');
    const object = report.objects.find((o) => o.object === 'kernel/sys.o');
    // The bodies (__do_sys_*) have no ftrace entry; the x86_64 entry points do and are replaced.
    expect(object?.changedFunctions).toEqual(expect.arrayContaining(['__x64_sys_newuname', '__x64_sys_sethostname']));
    expect(object?.changedFunctions.filter((name) => name.startsWith('__do_sys_'))).toEqual([]);
    expect(object?.newFunctions).toContain('__kpatch_do_sys_newuname');
    const vm = await boot(
      [ko],
      `
      report before "$(uname -r)"
      hostname forbidden-before; report set_before $?
      ${load(ko)}
      report during "$(uname -r)"
      hostname forbidden-during; report set_during $?
      hostname kpatch-allowed; report set_allowed $?
      report name "$(hostname)"
      ${unload(ko)}
      report after "$(uname -r)"
      hostname forbidden-after; report set_after $?`,
    );
    expect(vm.values['load']).toBe('0');
    expect(vm.values['before']).not.toContain('kpatch');
    expect(vm.values['during']).toBe(`${vm.values['before']}+kpatch-syscall`);
    expect(vm.values['after']).toBe(vm.values['before']);
    expect(vm.values['set_before']).toBe('0');
    expect(vm.values['set_during']).not.toBe('0');
    expect(vm.values['set_allowed']).toBe('0');
    expect(vm.values['name']).toBe('kpatch-allowed');
    expect(vm.values['set_after']).toBe('0');
    expect(vm.values['unload']).toBe('0');
  });

  it("the same change with the kernel's SYSCALL_DEFINE1 is refused, pointing at KPATCH_SYSCALL_DEFINE<n>", async () => {
    const error = await buildFailure('kpatch-refuse-plain-syscall');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/__do_sys_newuname changed but has no ftrace entry/);
    expect(error.message).toContain('KPATCH_SYSCALL_DEFINE<n> from "kpatch-syscall.h"');
  });
});
