import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELEASE, useFakeMachine } from './fake-machine.js';

// tsbuild-patch-ctl against a fake sysfs, proc and store, with fake insmod/rmmod/modinfo that
// read "modules" made of key=value lines (see fake-machine.ts and fake-bin/).
const machine = useFakeMachine();
const { ctl, fakeModule, calls, klp, blockingTask } = machine;

describe('tsbuild-patch-ctl load', () => {
  it('inserts the module, waits for the transition and lists the patched functions', async () => {
    const ko = await fakeModule('livepatch-cmdline', {
      funcs: 'vmlinux:cmdline_proc_show,1 binfmt_misc:bm_status_read,1',
    });
    const load = await ctl(['load', ko]);
    expect(load.code).toBe(0);
    expect(load.stdout).toContain('livepatch_cmdline: loaded, transition complete');
    expect(await calls()).toEqual([`insmod ${ko}`]);
    const list = await ctl(['list']);
    expect(list.stdout).toContain('  livepatch_cmdline [enabled]\n');
    expect(list.stdout).toContain('    binfmt_misc: bm_status_read\n');
    expect(list.stdout).toContain('    vmlinux: cmdline_proc_show\n');
  });

  it('refuses a module built for another release, and one that is not a livepatch', async () => {
    const other = await fakeModule('livepatch-other', {
      vermagic: '6.1.0-50-amd64 SMP preempt mod_unload modversions ',
    });
    const wrong = await ctl(['load', other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('built for kernel 6.1.0-50-amd64, this kernel is 6.1.0-57-amd64');
    const plain = await fakeModule('plain', { livepatch: '' });
    expect((await ctl(['load', plain])).stderr).toContain('not a livepatch module');
    expect(await calls()).toEqual([]);
  });

  it('reports the tasks blocking a stalled transition, offers the signal, never forces, and reverts', async () => {
    const ko = await fakeModule('livepatch-stuck');
    await blockingTask(4242, 'stuck-daemon', 0);
    await blockingTask(4343, 'done-already', 1);
    const load = await ctl(['load', '--timeout', '1', ko], { FAKE_TRANSITION: '1' });
    expect(load.code).toBe(3);
    expect(load.stderr).toContain('transition still running after 1 s; tasks blocking it:');
    expect(load.stderr).toContain('pid 4242 tid 4242 (stuck-daemon) patch_state 0');
    expect(load.stderr).toContain('do_blocked_thing');
    expect(load.stderr).not.toContain('done-already');
    expect(load.stderr).toContain('--signal');
    expect(load.stderr).toContain('reverted and removed');
    expect(existsSync(klp('livepatch_stuck'))).toBe(false);
    expect(await calls()).toEqual([`insmod ${ko}`, 'rmmod livepatch_stuck']);
  });

  it('waits for a slow revert past the load timeout (a busy machine), and names what blocks a revert that stalls too', async () => {
    const slow = await fakeModule('livepatch-slow-revert');
    await blockingTask(4444, 'stuck-daemon', 0);
    // The kernel's own signal after 0 s: the revert is waited for 5 s, the reverse takes 2.
    const load = await ctl(['load', '--timeout', '1', slow], {
      FAKE_TRANSITION: '1',
      FAKE_REVERSE: '2',
      TSBP_KERNEL_SIGNAL_AFTER: '0',
    });
    expect(load.code).toBe(3);
    expect(load.stderr).toContain('reverting the load (waiting up to 5 s)');
    expect(load.stderr).toContain('livepatch_slow_revert: reverted and removed');
    expect(existsSync(klp('livepatch_slow_revert'))).toBe(false);

    const stuck = await fakeModule('livepatch-stuck-revert');
    const again = await ctl(['load', '--timeout', '1', stuck], {
      FAKE_TRANSITION: '1',
      FAKE_REVERSE: 'stuck',
      TSBP_KERNEL_SIGNAL_AFTER: '0',
    });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(
      'livepatch_stuck_revert: the reverse transition is still running after 5 s too; tasks blocking it:',
    );
    expect(again.stderr).toContain('the patch stays disabled');
    expect(again.stderr).not.toContain('livepatch_stuck_revert: reverted and removed');
  }, 30_000);

  it('--signal sends the livepatch signal when the transition stalls', async () => {
    const ko = await fakeModule('livepatch-sig');
    await blockingTask(77, 'sleeper', 0);
    const load = await ctl(['load', '--timeout', '1', '--signal', ko], {
      FAKE_TRANSITION: '1',
      FAKE_UNBLOCK: 'signal',
    });
    expect(load.code).toBe(0);
    expect(load.stdout).toContain('sent the livepatch signal to the blocking tasks');
    expect((await readFile(klp('livepatch_sig', 'signal'), 'utf8')).trim()).toBe('1');
    expect((await readFile(klp('livepatch_sig', 'force'), 'utf8')).trim()).toBe('0');
  });

  it('--signal on a kernel that signals by itself (no signal attribute, 5.1 and later) waits for the kernel to do it', async () => {
    const ko = await fakeModule('livepatch-auto');
    await blockingTask(78, 'sleeper', 0);
    const env = { FAKE_TRANSITION: '1', FAKE_NO_SIGNAL: '1', FAKE_UNBLOCK: 'auto:2', TSBP_KERNEL_SIGNAL_AFTER: '2' };
    const load = await ctl(['load', '--timeout', '1', '--signal', ko], env);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain(
      'this kernel sends the livepatch signal to the blocking tasks itself after 2 s of a stalled transition; waiting up to 3 s more',
    );
    expect(load.stdout).toContain('livepatch_auto: loaded, transition complete');
    expect((await ctl(['signal', 'livepatch-auto'])).stdout).toContain('no transition in progress');
  });

  it('without --signal on such a kernel, the hint says the kernel signals after 15 s', async () => {
    const ko = await fakeModule('livepatch-hint');
    const load = await ctl(['load', '--timeout', '1', ko], { FAKE_TRANSITION: '1', FAKE_NO_SIGNAL: '1' });
    expect(load.code).toBe(3);
    expect(load.stderr).toContain(
      'retry with --signal (or a --timeout above 15 s): the kernel sends the blocking tasks the livepatch signal after 15 s',
    );
  });

  it('--force forces a transition only when asked', async () => {
    const ko = await fakeModule('livepatch-force');
    const load = await ctl(['load', '--timeout', '1', '--force', ko], { FAKE_TRANSITION: '1' });
    // The fake kernel ignores the force write, so the load still stalls, but it was written.
    expect(load.code).toBe(3);
    expect(load.stderr).toContain('forcing the transition');
    expect(await calls()).toContain(`insmod ${ko}`);
  });

  it('removes the module of a patch the new one replaced (atomic replace, within a stream)', async () => {
    const stream = (version: string) => ({ tsbuild_patch_stream: 'fix', tsbuild_patch_stream_version: version });
    const v1 = await fakeModule('livepatch-fix-1', stream('1'));
    const v2 = await fakeModule('livepatch-fix-2', stream('2'));
    expect((await ctl(['load', v1])).code).toBe(0);
    const load = await ctl(['load', v2]);
    expect(load.code).toBe(0);
    expect(load.stdout).toContain('livepatch_fix_1: replaced by livepatch_fix_2, module removed');
    expect(await calls()).toEqual([`insmod ${v1}`, `insmod ${v2}`, 'rmmod livepatch_fix_1']);
    expect(existsSync(join(machine.sysfs, 'module/livepatch_fix_1'))).toBe(false);
    expect((await ctl(['list'])).stdout).not.toContain('without an active patch');
  });

  it('lists a livepatch module whose patch is gone, and unload removes it', async () => {
    const ko = await fakeModule('livepatch-left');
    await ctl(['load', ko]);
    // Disabled by hand (echo 0 > enabled): the kernel frees the patch, the module stays.
    await writeFile(klp('livepatch_left', 'enabled'), '0\n');
    await new Promise((resolve) => setTimeout(resolve, 800));
    await mkdir(join(machine.sysfs, 'module/ext4'), { recursive: true });
    await writeFile(join(machine.sysfs, 'module/ext4/taint'), '\n');
    const list = await ctl(['list']);
    expect(list.stdout).toContain(
      "Loaded livepatch modules without an active patch (replaced or disabled; 'tsbuild-patch-ctl unload NAME' removes them):\n  livepatch_left\n",
    );
    expect(list.stdout).not.toContain('ext4');
    const unload = await ctl(['unload', 'livepatch_left']);
    expect(unload.code).toBe(0);
    expect(unload.stdout).toContain('livepatch_left: module removed');
  });

  it('says a loaded module is loaded, and refuses another module of the same name', async () => {
    const ko = await fakeModule('livepatch-same');
    expect((await ctl(['load', ko])).code).toBe(0);
    expect((await ctl(['load', ko])).stdout).toContain('already loaded');
    await writeFile(ko, (await readFile(ko, 'utf8')).replace('srcversion=SRC-livepatch-same', 'srcversion=OTHER'));
    const again = await ctl(['load', ko]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('needs a new module name');
  });
});

describe('tsbuild-patch-ctl unload', () => {
  it('disables the patch, waits, removes the module', async () => {
    const ko = await fakeModule('livepatch-cmdline');
    await ctl(['load', ko]);
    const unload = await ctl(['unload', 'livepatch-cmdline']);
    expect(unload.code).toBe(0);
    expect(unload.stdout).toContain('livepatch_cmdline: disabled');
    expect(unload.stdout).toContain('livepatch_cmdline: module removed');
    expect(existsSync(join(machine.sysfs, 'module/livepatch_cmdline'))).toBe(false);
    expect((await ctl(['unload', 'livepatch_cmdline'])).stderr).toContain('not loaded');
    expect((await ctl(['list'])).stdout).toContain('Loaded patches:\n  (none)\n');
  });
});

describe('tsbuild-patch-ctl install / uninstall / load-installed', () => {
  it('keeps a store per release and refuses a vermagic of another release', async () => {
    const ko = await fakeModule('livepatch-cmdline');
    const old = await fakeModule('livepatch-cmdline-50', {
      name: 'livepatch_cmdline',
      vermagic: '6.1.0-50-amd64 SMP preempt mod_unload modversions ',
    });
    expect((await ctl(['install', ko])).code).toBe(0);
    expect(existsSync(join(machine.store, RELEASE, 'livepatch_cmdline.ko'))).toBe(true);
    const refused = await ctl(['install', old]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('vermagic names kernel 6.1.0-50-amd64, not 6.1.0-57-amd64; refused');
    expect((await ctl(['install', '--release', '6.1.0-50-amd64', old])).code).toBe(0);
    expect((await ctl(['install', '--release', '6.1.0-50-amd64', ko])).code).toBe(1);
    const list = await ctl(['list']);
    expect(list.stdout).toContain(
      'Installed patches:\n  6.1.0-50-amd64: livepatch_cmdline\n  6.1.0-57-amd64 (running): livepatch_cmdline',
    );
    // Only the running release's store is loaded.
    const boot = await ctl(['load-installed']);
    expect(boot.code).toBe(0);
    expect(await calls()).toEqual([`insmod ${join(machine.store, RELEASE, 'livepatch_cmdline.ko')}`]);
    expect((await ctl(['uninstall', 'livepatch-cmdline'])).code).toBe(0);
    expect(existsSync(join(machine.store, RELEASE))).toBe(false);
    expect((await ctl(['uninstall', 'livepatch-cmdline'])).stderr).toContain('not installed for 6.1.0-57-amd64');
    expect((await ctl(['list'])).stdout).toMatch(/^Installed patches:\n  6.1.0-50-amd64: livepatch_cmdline$/m);
  });

  it('load-installed goes on after a failure and reports it', async () => {
    const good = await fakeModule('livepatch-b', { replace: '0' });
    const bad = await fakeModule('livepatch-a', { fail: '1', replace: '0' });
    await ctl(['install', bad]);
    await ctl(['install', good]);
    const boot = await ctl(['load-installed']);
    expect(boot.code).toBe(1);
    expect(boot.stdout).toContain('livepatch_b: loaded');
    expect(boot.stderr).toContain('insmod failed');
  });

  it('usage errors exit 2', async () => {
    expect((await ctl([])).code).toBe(2);
    expect((await ctl(['frobnicate'])).code).toBe(2);
    expect((await ctl(['load'])).code).toBe(2);
    expect((await ctl(['--help'])).stdout).toContain('load-installed');
  });
});
