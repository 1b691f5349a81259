import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { boot, buildLivepatch, load, unload, type Built } from './harness.js';
import { testKernel } from '../test-kernel.js';

// samples/livepatch/livepatch-shadow-mod.ko allocates a "dummy" every second and logs it from
// dummy_alloc(); the patch changes that message.
describe('a livepatch for a function of a loadable module', () => {
  let built: Built;
  let target: string;

  beforeAll(async () => {
    built = await buildLivepatch('module-function');
    target = join((await testKernel()).modulesDir, 'kernel/samples/livepatch/livepatch-shadow-mod.ko');
  });

  it('targets the module with livepatch relocations of its own', () => {
    const object = built.report.objects[0]!;
    expect(object.target).toBe('livepatch_shadow_mod');
    expect(object.changedFunctions).toEqual(['dummy_alloc']);
  });

  it('patches the module when it was loaded before the livepatch', async () => {
    const vm = await boot(
      [target, built.ko],
      `
      insmod ./livepatch-shadow-mod.ko; report mod $?
      sleep 2
      ${load(built.ko)}
      report patched "$(cat /sys/kernel/livepatch/livepatch_module_function/livepatch_shadow_mod/patched)"
      sleep 3
      ${unload(built.ko)}
      rmmod livepatch_shadow_mod; report rmmod $?`,
    );
    expect(vm.values['mod']).toBe('0');
    expect(vm.values['load']).toBe('0');
    expect(vm.values['patched']).toBe('1');
    const log = vm.kernelLog;
    expect(log).toMatch(/dummy_alloc: dummy @/);
    expect(log).toMatch(/dummy_alloc: patched dummy @/);
    expect(log.indexOf('dummy_alloc: patched dummy')).toBeGreaterThan(log.indexOf('dummy_alloc: dummy @'));
    expect(vm.values['unload']).toBe('0');
    expect(vm.values['rmmod']).toBe('0');
  });

  it('patches the module when it is loaded after the livepatch', async () => {
    const vm = await boot(
      [target, built.ko],
      `
      ${load(built.ko)}
      report patched_before "$(cat /sys/kernel/livepatch/livepatch_module_function/livepatch_shadow_mod/patched)"
      insmod ./livepatch-shadow-mod.ko; report mod $?
      report patched_after "$(cat /sys/kernel/livepatch/livepatch_module_function/livepatch_shadow_mod/patched)"
      sleep 3
      rmmod livepatch_shadow_mod; report rmmod $?
      ${unload(built.ko)}`,
    );
    expect(vm.values['patched_before']).toBe('0');
    expect(vm.values['mod']).toBe('0');
    expect(vm.values['patched_after']).toBe('1');
    expect(vm.kernelLog).toMatch(/dummy_alloc: patched dummy @/);
    expect(vm.kernelLog).not.toMatch(/dummy_alloc: dummy @/);
    expect(vm.values['rmmod']).toBe('0');
    expect(vm.values['unload']).toBe('0');
  });
});
