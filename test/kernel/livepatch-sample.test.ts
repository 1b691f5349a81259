import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestKernel } from '../../src/sources/test-kernel/provision.js';
import { runInVm, type VmResult } from '../../src/vm/run-in-vm.js';
import { testKernel } from './test-kernel.js';

// The kernel's own samples/livepatch/livepatch-sample.c replaces cmdline_proc_show() so that
// /proc/cmdline reads this text.
const SAMPLE_TEXT = 'this has been live patched';

const SCRIPT = `
report cmdline_before "$(cat /proc/cmdline)"
insmod ./livepatch-sample.ko; report insmod $?
klp_wait livepatch_sample; report wait $?
report enabled "$(cat /sys/kernel/livepatch/livepatch_sample/enabled)"
report transition "$(cat /sys/kernel/livepatch/livepatch_sample/transition)"
report patched_vmlinux "$(cat /sys/kernel/livepatch/livepatch_sample/vmlinux/patched)"
report cmdline_patched "$(cat /proc/cmdline)"
klp_disable livepatch_sample; report disable $?
report cmdline_after "$(cat /proc/cmdline)"
klp_wait_gone livepatch_sample; report gone $?
rmmod livepatch_sample; report rmmod $?
report lsmod "$(lsmod | grep -c livepatch_sample)"
`;

describe('VM harness with the kernel livepatch sample', () => {
  let kernel: TestKernel;
  let result: VmResult;

  beforeAll(async () => {
    kernel = await testKernel();
    const started = Date.now();
    result = await runInVm({
      bzImage: kernel.bzImage,
      script: SCRIPT,
      modules: [join(kernel.modulesDir, 'kernel/samples/livepatch/livepatch-sample.ko')],
      timeoutMs: 180_000,
    });
    console.log(`VM run: ${((Date.now() - started) / 1000).toFixed(1)} s, status ${result.status}`);
    if (result.status !== 'ok') console.log(result.console.slice(-4000));
  });

  it('boots the test kernel and runs the script to the end', () => {
    expect(result.problems).toEqual([]);
    expect(result.status).toBe('ok');
    expect(result.exitStatus).toBe(0);
    expect(result.kernelLog).toContain(`Linux version ${kernel.release}`);
  });

  it('loads the livepatch: enabled, transition over, vmlinux patched, /proc/cmdline replaced', () => {
    expect(result.values['insmod']).toBe('0');
    expect(result.values['wait']).toBe('0');
    expect(result.values['enabled']).toBe('1');
    expect(result.values['transition']).toBe('0');
    expect(result.values['patched_vmlinux']).toBe('1');
    expect(result.values['cmdline_before']).toContain('console=ttyS0');
    expect(result.values['cmdline_patched']).toBe(SAMPLE_TEXT);
    expect(result.kernelLog).toMatch(/livepatch: 'livepatch_sample': patching complete/);
  });

  it('disables the livepatch, restoring /proc/cmdline, and unloads the module', () => {
    expect(result.values['disable']).toBe('0');
    expect(result.values['cmdline_after']).toBe(result.values['cmdline_before']);
    expect(result.values['gone']).toBe('0');
    expect(result.values['rmmod']).toBe('0');
    expect(result.values['lsmod']).toBe('0');
    expect(result.kernelLog).toMatch(/livepatch: 'livepatch_sample': unpatching complete/);
  });
});
