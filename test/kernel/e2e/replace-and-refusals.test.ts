import { describe, expect, it } from 'vitest';
import { boot, buildFailure, buildLivepatch, load, unload } from './harness.js';

describe('atomic replace and --no-replace', () => {
  it('loading patch B replaces patch A', async () => {
    const a = await buildLivepatch('replace-a', { name: 'livepatch-replace-a', replace: true });
    const b = await buildLivepatch('replace-b', { name: 'livepatch-replace-b', replace: true });
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
    );
    expect(vm.values['a']).toBe('0');
    expect(vm.values['loadavg_a']).toBe('patch A');
    expect(vm.values['b']).toBe('0');
    expect(vm.values['a_gone']).toBe('0');
    expect(vm.values['loadavg_b']).not.toContain('patch A');
    expect(vm.values['version_b']).toBe('patch B');
    expect(vm.values['rmmod_a']).toBe('0');
    expect(vm.values['b_unload']).toBe('0');
  });

  it('with --no-replace several livepatches stay active together', async () => {
    const a = await buildLivepatch('replace-a', { name: 'livepatch-keep-a', replace: false });
    const b = await buildLivepatch('replace-b', { name: 'livepatch-keep-b', replace: false });
    const c = await buildLivepatch('new-static-local', { name: 'livepatch-keep-c', replace: false });
    const vm = await boot(
      [a.ko, b.ko, c.ko],
      `
      ${load(a.ko, 'a')}
      ${load(b.ko, 'b')}
      report loadavg "$(tail -n 1 /proc/loadavg)"
      report version "$(tail -n 1 /proc/version)"
      report enabled "$(cat /sys/kernel/livepatch/livepatch_keep_a/enabled)$(cat /sys/kernel/livepatch/livepatch_keep_b/enabled)"
      ${load(c.ko, 'c')}
      report loadavg_c "$(tail -n 1 /proc/loadavg)"
      report version_c "$(tail -n 1 /proc/version)"
      ${unload(c.ko, 'c_unload')}
      ${unload(b.ko, 'b_unload')}
      ${unload(a.ko, 'a_unload')}`,
    );
    expect(vm.values['loadavg']).toBe('patch A');
    expect(vm.values['version']).toBe('patch B');
    expect(vm.values['enabled']).toBe('11');
    // C patches loadavg_proc_show on top of A; B's /proc/version stays.
    expect(vm.values['loadavg_c']).toBe('reads=1');
    expect(vm.values['version_c']).toBe('patch B');
    expect([vm.values['c_unload'], vm.values['b_unload'], vm.values['a_unload']]).toEqual(['0', '0', '0']);
  });
});

describe('refused patches, with the reason', () => {
  it('refuses a change to an __init function', async () => {
    const error = await buildFailure('refuse-init');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/proc_cmdline_init|\.init/);
  });

  it('refuses a change to existing initialised data', async () => {
    const error = await buildFailure('refuse-data');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/panic_timeout|\.data/);
  });

  it('reports a patch that only moves lines as no functional change', async () => {
    const error = await buildFailure('moved-lines');
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/no functional change/);
  });
});
