import { describe, expect, it } from 'vitest';
import { boot, buildLivepatch, load, unload } from './harness.js';

describe('callbacks and shadow variables', () => {
  it('runs all four callbacks in order, visible in the kernel log', async () => {
    const { ko, report } = await buildLivepatch('callbacks');
    expect(report.objects[0]?.callbacks.map((c) => c.hook).sort()).toEqual([
      'post_patch',
      'post_unpatch',
      'pre_patch',
      'pre_unpatch',
    ]);
    const vm = await boot([ko], `${load(ko)}\nreport out "$(tail -n 1 /proc/version)"\n${unload(ko)}`);
    expect(vm.values['out']).toBe('callbacks: patched');
    const order = [...vm.kernelLog.matchAll(/tsbp-callbacks: (\w+)/g)].map((m) => m[1]);
    expect(order).toEqual(['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch']);
    expect(vm.values['unload']).toBe('0');
  });

  it('keeps state in a shadow variable and frees it from a callback', async () => {
    const { ko } = await buildLivepatch('shadow-variable');
    const vm = await boot(
      [ko],
      `${load(ko)}
      report first "$(tail -n 1 /proc/version)"
      report second "$(tail -n 1 /proc/version)"
      ${unload(ko)}`,
    );
    expect(vm.values['first']).toBe('shadow reads=1');
    expect(vm.values['second']).toBe('shadow reads=2');
    expect(vm.kernelLog).toContain('tsbp-shadow: freed');
    expect(vm.values['unload']).toBe('0');
  });
});
