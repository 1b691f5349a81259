import { describe, expect, it } from 'vitest';
import { boot, buildLivepatch, load, unload } from './harness.js';

// Each feature: build the livepatch from a patch, boot the test kernel, observe the behaviour
// without the patch, with it, and after disabling and unloading it.

describe('vmlinux livepatches built from source patches', () => {
  it('a string change in a /proc show function', async () => {
    const { ko, report } = await buildLivepatch('proc-version-string');
    expect(report.objects.map((o) => o.changedFunctions).flat()).toEqual(['version_proc_show']);
    expect(report.signed).toBe(true);
    const vm = await boot(
      [ko],
      `
      report before "$(tail -n 1 /proc/version)"
      ${load(ko)}
      report during "$(tail -n 1 /proc/version)"
      ${unload(ko)}
      report after "$(tail -n 1 /proc/version)"`,
    );
    expect(vm.values['load']).toBe('0');
    expect(vm.values['load_wait']).toBe('0');
    expect(vm.values['during']).toBe('version: livepatched');
    expect(vm.values['before']).not.toContain('livepatched');
    expect(vm.values['after']).toBe(vm.values['before']);
    expect(vm.values['unload']).toBe('0');
  });

  it('two files in one patch', async () => {
    const { ko, report } = await buildLivepatch('two-files');
    expect(report.objects.map((o) => o.object).sort()).toEqual(['fs/proc/loadavg.o', 'fs/proc/version.o']);
    const vm = await boot(
      [ko],
      `${load(ko)}
      report version "$(tail -n 1 /proc/version)"
      report loadavg "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}
      report loadavg_after "$(tail -n 1 /proc/loadavg)"`,
    );
    expect(vm.values['version']).toBe('two-files: version');
    expect(vm.values['loadavg']).toBe('two-files: loadavg');
    expect(vm.values['loadavg_after']).not.toContain('two-files');
    expect(vm.values['unload']).toBe('0');
  });

  it('a new function', async () => {
    const { ko, report } = await buildLivepatch('new-function');
    expect(report.objects[0]?.newFunctions).toEqual(['tsbp_version_extra']);
    expect(report.objects[0]?.changedFunctions).toEqual(['version_proc_show']);
    const vm = await boot([ko], `${load(ko)}\nreport out "$(tail -n 1 /proc/version)"\n${unload(ko)}`);
    expect(vm.values['out']).toBe('new-function: 42');
    expect(vm.values['unload']).toBe('0');
  });

  it('a new global defined in one file and used by another', async () => {
    const { ko, report } = await buildLivepatch('new-global');
    expect(report.objects.flatMap((o) => o.newFunctions)).toEqual(['tsbp_banner']);
    const vm = await boot(
      [ko],
      `${load(ko)}
      report version "$(tail -n 1 /proc/version)"
      report loadavg "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}`,
    );
    expect(vm.values['version']).toBe('new-global: banner (version)');
    expect(vm.values['loadavg']).toBe('new-global: banner (loadavg)');
    expect(vm.values['unload']).toBe('0');
  });

  it('a new static local keeps its value across calls', async () => {
    const { ko } = await buildLivepatch('new-static-local');
    const vm = await boot(
      [ko],
      `${load(ko)}
      report first "$(tail -n 1 /proc/loadavg)"
      report second "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}`,
    );
    expect(vm.values['first']).toBe('reads=1');
    expect(vm.values['second']).toBe('reads=2');
    expect(vm.values['unload']).toBe('0');
  });

  it('a changed function keeps using its existing static local', async () => {
    const { ko, report } = await buildLivepatch('keep-static-local');
    expect(report.objects[0]?.changedFunctions).toEqual(['drop_caches_sysctl_handler']);
    // Writing 4 sets the original stfu; the patched handler must see that same variable.
    const vm = await boot(
      [ko],
      `
      echo 4 > /proc/sys/vm/drop_caches
      ${load(ko)}
      echo 1 > /proc/sys/vm/drop_caches
      ${unload(ko)}`,
    );
    expect(vm.kernelLog).toContain('drop_caches: patched handler, stfu=4');
    expect(vm.kernelLog).not.toContain('drop_caches (patched)');
    expect(vm.values['unload']).toBe('0');
  });

  it('an inline function changed in a .c file replaces its callers', async () => {
    const { ko, report } = await buildLivepatch('inline-function');
    // task_core_dumping() has no symbol of its own: gcc inlined it into proc_pid_status().
    expect(report.objects[0]?.changedFunctions).toEqual(['proc_pid_status']);
    const vm = await boot(
      [ko],
      `
      report before "$(grep CoreDumping /proc/self/status)"
      ${load(ko)}
      report during "$(grep CoreDumping /proc/self/status)"
      ${unload(ko)}
      report after "$(grep CoreDumping /proc/self/status)"`,
    );
    expect(vm.values['before']).toMatch(/^CoreDumping:\s+0$/);
    expect(vm.values['during']).toMatch(/^CoreDumping \(patched\):\s+0$/);
    expect(vm.values['after']).toBe(vm.values['before']);
    expect(vm.values['unload']).toBe('0');
  });

  it('a header change rebuilds the objects that include it and replaces the inlining functions', async () => {
    const { ko, report } = await buildLivepatch('header-inline');
    const changed = report.objects.filter((o) => o.outcome === 'changed');
    expect(changed.map((o) => o.object)).toContain('fs/proc/fd.o');
    expect(changed.flatMap((o) => o.changedFunctions).length).toBeGreaterThan(0);
    const vm = await boot(
      [ko],
      `
      cat /proc/self/fdinfo/0 > /dev/null
      ${load(ko)}
      cat /proc/self/fdinfo/0 > /dev/null; report read $?
      ${unload(ko)}`,
    );
    expect(vm.values['read']).toBe('0');
    expect(vm.kernelLog).toContain('tsbp-header: proc_fd() from the patched header');
    expect(vm.values['unload']).toBe('0');
  });
});
