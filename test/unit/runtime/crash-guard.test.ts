import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIRST_BOOT, RELEASE, useFakeMachine } from './fake-machine.js';

// The crash guard of tsbuild-patch-ctl: loads recorded under the boot id before insmod, marked
// good after CRASH_GUARD_SECONDS, held after a boot that ended without a clean shutdown.
const machine = useFakeMachine();
const { ctl, fakeModule, calls } = machine;
const SECOND_BOOT = '0b5a8c6e-0000-4000-8000-000000000002';
const THIRD_BOOT = '0b5a8c6e-0000-4000-8000-000000000003';

const guard = (file: string) => join(machine.store, '.crash-guard', file);
const state = (file: string) => readFile(guard(file), 'utf8').then((t) => t.trim());
const stored = (name: string) => join(machine.store, RELEASE, `${name}.ko`);

/** Install modules (not replacing each other) into the running release's store. */
async function installed(...names: string[]): Promise<void> {
  for (const name of names) {
    const ko = await fakeModule(name.replace(/_/g, '-'), { replace: '0' });
    expect((await ctl(['install', ko])).code).toBe(0);
  }
}

/** The boot's loads, as tsbuild-patch.service runs them. */
const unit = () => ctl(['load-installed']);

const heldBecause = (name: string, boot: string, what: string) =>
  `${name}: held by the crash guard: the boot ${boot} (kernel ${RELEASE}) ended without a clean shutdown; ${what}`;
const notMarkedGood = (at: number, seconds = 120) =>
  `it had been loaded (at ${at} s of uptime) but not marked good (after running ${seconds} s)`;

describe('tsbuild-patch-ctl: the crash guard', () => {
  it('records each load on disk before insmod; after a boot that did not end cleanly it holds the module, at every boot, and says why', async () => {
    await installed('livepatch_crashy');
    const first = await unit();
    expect(first.code, first.stderr).toBe(0);
    expect(await machine.insmodSaw()).toEqual([`insmod sees: loading ${RELEASE} 100`]);
    expect(await state('boot')).toBe(FIRST_BOOT);
    expect(await state('pending/livepatch_crashy')).toBe(`loaded ${RELEASE} 100`);
    await machine.setUptime(130.7);
    expect((await ctl(['list'])).stdout).toContain(
      'Watched by the crash guard (loaded at this boot, good after running 120 s):\n  livepatch_crashy: has run for 30 s',
    );

    // The machine goes down (no clean-shutdown); the next boot's unit does not load the module.
    await machine.boot(SECOND_BOOT);
    const second = await unit();
    expect(second.code).toBe(5);
    const why = heldBecause('livepatch_crashy', FIRST_BOOT, notMarkedGood(100));
    expect(second.stderr).toContain(why);
    expect(second.stderr).toContain(
      "livepatch_crashy: not loaded: held by the crash guard: the boot 0b5a8c6e-0000-4000-8000-000000000001 (kernel 6.1.0-57-amd64) ended without a clean shutdown; it had been loaded (at 100 s of uptime) but not marked good (after running 120 s); 'tsbuild-patch-ctl clear-crash-guard livepatch_crashy' lets tsbuild-patch.service load it again",
    );
    expect(await calls()).toEqual([`insmod ${stored('livepatch_crashy')}`]);
    const list = await ctl(['list']);
    expect(list.stdout).toContain(
      `Held by the crash guard (not loaded at boot; 'tsbuild-patch-ctl clear-crash-guard NAME' releases one):\n  livepatch_crashy: the boot ${FIRST_BOOT}`,
    );
    expect(list.stdout).toContain('Loaded patches:\n  (none)');

    // Until an admin clears it: a clean boot after that still leaves it out.
    expect((await ctl(['clean-shutdown'])).code).toBe(0);
    await machine.boot(THIRD_BOOT);
    const third = await unit();
    expect(third.code).toBe(5);
    expect(third.stderr).toContain('livepatch_crashy: not loaded: held by the crash guard');
    expect(await calls()).toHaveLength(1);
  });

  it('holds a module the machine went down loading (the loader killed inside insmod)', async () => {
    await installed('livepatch_boom');
    const crash = await ctl(['load', stored('livepatch_boom')], { FAKE_CRASH: '1' });
    expect(crash.code).toBeUndefined();
    expect(await state('pending/livepatch_boom')).toBe(`loading ${RELEASE} 100`);
    await machine.boot(SECOND_BOOT);
    const boot = await unit();
    expect(boot.code).toBe(5);
    expect(boot.stderr).toContain(heldBecause('livepatch_boom', FIRST_BOOT, 'while it was being loaded'));
  });

  it('does not hold what a boot that ended with a clean shutdown had loaded, however briefly', async () => {
    await installed('livepatch_brief');
    expect((await unit()).code).toBe(0);
    expect((await ctl(['clean-shutdown'])).code).toBe(0);
    expect(await state('clean')).toBe(FIRST_BOOT);
    await machine.boot(SECOND_BOOT);
    const boot = await unit();
    expect(boot.code, boot.stderr).toBe(0);
    expect(boot.stderr).not.toContain('held');
    expect(boot.stdout).toContain('livepatch_brief: loaded, transition complete');
    // The new boot's records start afresh.
    expect(existsSync(guard('clean'))).toBe(false);
    expect(await state('boot')).toBe(SECOND_BOOT);
  });

  it('a clean shutdown of a boot that loaded nothing does not vouch for the boot before it', async () => {
    await installed('livepatch_early');
    expect((await unit()).code).toBe(0);
    // Down uncleanly; the next boot loads nothing (tsbuild-patch.load=0) and ends cleanly.
    await machine.boot(SECOND_BOOT);
    expect((await ctl(['clean-shutdown'])).code).toBe(0);
    expect(existsSync(guard('clean'))).toBe(false);
    await machine.boot(THIRD_BOOT);
    const boot = await unit();
    expect(boot.code).toBe(5);
    expect(boot.stderr).toContain(heldBecause('livepatch_early', FIRST_BOOT, notMarkedGood(100)));
  });

  it('marks a module good once it has run CRASH_GUARD_SECONDS (120 s, or the setting); a crash after that holds nothing', async () => {
    await installed('livepatch_steady');
    expect((await unit()).code).toBe(0);
    await machine.setUptime(200);
    const early = await ctl(['mark-good']);
    expect(early.stdout).toContain('livepatch_steady: has run for 100 s of the 120 s that make it good');
    expect(existsSync(guard('pending/livepatch_steady'))).toBe(true);

    await writeFile(machine.config, '# the crash guard\nCRASH_GUARD_SECONDS=300\n');
    expect((await ctl(['timeouts'])).stdout).toMatch(/^crash-guard 300$/m);
    await machine.setUptime(220);
    expect((await ctl(['mark-good'])).stdout).toContain('has run for 120 s of the 300 s');
    await rm(machine.config);

    const good = await ctl(['mark-good']);
    expect(good.stdout).toContain('livepatch_steady: has run for 120 s: marked good');
    expect(existsSync(guard('pending/livepatch_steady'))).toBe(false);
    expect((await ctl(['list'])).stdout).not.toContain('crash guard');

    await machine.boot(SECOND_BOOT);
    const boot = await unit();
    expect(boot.code, boot.stderr).toBe(0);
    expect(boot.stdout).toContain('livepatch_steady: loaded, transition complete');
  });

  it('mark-good --wait waits for the rest of the time (what the timer runs)', async () => {
    await writeFile(machine.config, 'CRASH_GUARD_SECONDS="3"\n');
    await installed('livepatch_patient');
    expect((await unit()).code).toBe(0);
    const started = Date.now();
    const marking = ctl(['mark-good', '--wait']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await machine.setUptime(103);
    const marked = await marking;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(marked.stdout).toContain('waiting 3 s until the modules loaded at this boot have run for 3 s');
    expect(marked.stdout).toContain('livepatch_patient: has run for 3 s: marked good');
    // At another boot there is nothing to mark.
    await machine.boot(SECOND_BOOT);
    expect((await ctl(['mark-good'])).stdout).toContain('no module loaded at this boot is waiting to be marked good');
  });

  it('clear-crash-guard releases one module or all, and the unit loads them again', async () => {
    await installed('livepatch_one', 'livepatch_two');
    expect((await unit()).code).toBe(0);
    await machine.boot(SECOND_BOOT);
    expect((await unit()).code).toBe(5);
    expect((await readdir(guard('held'))).sort()).toEqual(['livepatch_one', 'livepatch_two']);

    const one = await ctl(['clear-crash-guard', 'livepatch-one']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(
      'livepatch_one: released by the crash guard; tsbuild-patch.service loads it at the next boot',
    );
    expect((await ctl(['clear-crash-guard', 'livepatch_one'])).stderr).toContain(
      'livepatch_one: not held by the crash guard',
    );
    await machine.boot(THIRD_BOOT);
    const third = await unit();
    expect(third.code).toBe(5);
    expect(third.stdout).toContain('livepatch_one: loaded, transition complete');
    expect(third.stderr).toContain('livepatch_two: not loaded: held by the crash guard');

    const all = await ctl(['clear-crash-guard']);
    expect(all.stdout).toContain('livepatch_two: released by the crash guard');
    expect((await ctl(['clear-crash-guard'])).stdout).toContain('the crash guard holds no module');
    expect((await ctl(['list'])).stdout).not.toContain('Held by the crash guard');
  });

  it('a load by hand is not blocked: it warns, loads, and has systemd mark it good and record the clean shutdown', async () => {
    await installed('livepatch_manual');
    expect((await unit()).code).toBe(0);
    await machine.boot(SECOND_BOOT);
    expect((await unit()).code).toBe(5);

    await machine.systemdRuns();
    const load = await ctl(['load', stored('livepatch_manual')]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stderr).toContain(
      "livepatch_manual: held by the crash guard (the boot 0b5a8c6e-0000-4000-8000-000000000001 (kernel 6.1.0-57-amd64) ended without a clean shutdown; it had been loaded (at 100 s of uptime) but not marked good (after running 120 s)); loading it as asked, but tsbuild-patch.service will not load it at boot until 'tsbuild-patch-ctl clear-crash-guard livepatch_manual'",
    );
    expect(load.stdout).toContain('livepatch_manual: loaded, transition complete');
    expect((await calls()).slice(-3)).toEqual([
      `insmod ${stored('livepatch_manual')}`,
      'systemctl --no-block start tsbuild-patch-clean-shutdown.service',
      'systemctl --no-block restart tsbuild-patch-mark-good.timer',
    ]);
    // Still held, and recorded like any load.
    expect(existsSync(guard('held/livepatch_manual'))).toBe(true);
    expect(await state('pending/livepatch_manual')).toBe(`loaded ${RELEASE} 5`);
  });

  it("tsbuild-patch.service's loads (TSBP_UNIT=1) leave the guard's units to its Wants=; load-installed by hand starts them", async () => {
    await installed('livepatch_booted');
    await machine.systemdRuns();
    expect((await ctl(['load-installed'], { TSBP_UNIT: '1' })).code).toBe(0);
    expect((await calls()).filter((c) => c.startsWith('systemctl'))).toEqual([]);
    expect((await ctl(['clean-shutdown'])).code).toBe(0);
    await machine.boot(SECOND_BOOT);
    expect((await unit()).code).toBe(0);
    expect((await calls()).filter((c) => c.startsWith('systemctl'))).toEqual([
      'systemctl --no-block start tsbuild-patch-clean-shutdown.service',
      'systemctl --no-block restart tsbuild-patch-mark-good.timer',
    ]);
  });

  it('without systemd, a load by hand says to run mark-good', async () => {
    const ko = await fakeModule('livepatch-by-hand');
    const load = await ctl(['load', ko]);
    expect(load.code).toBe(0);
    expect(load.stdout).toContain(
      "livepatch_by_hand: run 'tsbuild-patch-ctl mark-good' after 120 s to tell the crash guard that it is good",
    );
    expect(await calls()).toEqual([`insmod ${ko}`]);
  });

  it('a load that fails, and a module unloaded, leave nothing to hold', async () => {
    const bad = await fakeModule('livepatch-bad', { fail: '1', replace: '0' });
    expect((await ctl(['install', bad])).code).toBe(0);
    await installed('livepatch_gone');
    expect((await unit()).code).toBe(1);
    expect((await ctl(['unload', 'livepatch_gone'])).code).toBe(0);
    expect(await readdir(guard('pending'))).toEqual([]);
    await machine.boot(SECOND_BOOT);
    const boot = await unit();
    expect(boot.code).toBe(1);
    expect(boot.stderr).not.toContain('held');
    expect(boot.stdout).toContain('livepatch_gone: loaded, transition complete');
  });

  it('uninstalling the last copy of a held module releases it', async () => {
    await installed('livepatch_dropped');
    const other = await fakeModule('livepatch-dropped-50', {
      name: 'livepatch_dropped',
      vermagic: '6.1.0-50-amd64 SMP preempt mod_unload modversions ',
    });
    expect((await ctl(['install', '--release', '6.1.0-50-amd64', other])).code).toBe(0);
    expect((await unit()).code).toBe(0);
    await machine.boot(SECOND_BOOT);
    expect((await unit()).code).toBe(5);
    expect((await ctl(['uninstall', 'livepatch_dropped'])).stdout).not.toContain('crash guard');
    expect(existsSync(guard('held/livepatch_dropped'))).toBe(true);
    const last = await ctl(['uninstall', '--release', '6.1.0-50-amd64', 'livepatch_dropped']);
    expect(last.stdout).toContain(
      'livepatch_dropped: installed for no release any more: no longer held by the crash guard',
    );
    expect(existsSync(guard('held/livepatch_dropped'))).toBe(false);
  });

  it('without a boot id the loads go on unguarded, with a warning', async () => {
    await rm(join(machine.proc, 'sys/kernel/random/boot_id'));
    const ko = await fakeModule('livepatch-no-boot-id');
    const load = await ctl(['load', ko]);
    expect(load.code).toBe(0);
    expect(load.stderr).toContain('crash guard: no boot id in');
    expect(existsSync(guard('pending'))).toBe(false);
  });
});
