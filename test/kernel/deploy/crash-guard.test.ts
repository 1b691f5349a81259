import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLivepatch } from '../e2e/harness.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { debianSystemImage } from '../../support/system-vm/image.js';
import { KERNEL_CMDLINE, SystemMachine, type BootResult } from '../../support/system-vm/machine.js';
import { debianReleases } from '../debian/releases.js';

/** The newest release the archive can build. */
const [KERNEL] = await debianReleases();
const PANIC = fileURLToPath(new URL('./cmdline-panic.patch', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
const PANIC_MESSAGE = 'Kernel panic - not syncing: tsbuild-patch crash guard test: tsbp-crash-now read /proc/cmdline';
const log = (line: string) => process.stderr.write(`  [crash-guard] ${line}\n`);

const GUARD = '/var/lib/tsbuild-patch/.crash-guard';
const TIMER_DROP_IN = '/etc/systemd/system/tsbuild-patch-mark-good.timer.d/test.conf';
/** The guest's state after each boot's loads, reported under PREFIX_*. */
const STATE = (prefix: string) => `
report ${prefix}_boot_id "$(cat /proc/sys/kernel/random/boot_id)"
report ${prefix}_unit "$(systemctl is-active tsbuild-patch.service)"
report ${prefix}_unit_log "$(journalctl -b -u tsbuild-patch.service -o cat --no-pager 2>&1)"
report ${prefix}_patches "$(ls /sys/kernel/livepatch | tr '\\n' ' ')"
report ${prefix}_list "$(tsbuild-patch-ctl list 2>&1)"
report ${prefix}_pending "$(cd ${GUARD}/pending 2>/dev/null && grep -H . * 2>/dev/null)"
report ${prefix}_held "$(cd ${GUARD}/held 2>/dev/null && grep -H . * 2>/dev/null)"
`;
/** Reports reach the serial console before the machine goes down. */
const SETTLE = 'sync; sleep 3';

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await dir({ prefix: 'tsbp-crash-guard-', unsafeCleanup: true });
});
afterAll(async () => work.cleanup());

async function boot(machine: SystemMachine, label: string, script: string, files: string): Promise<BootResult> {
  const result = await machine.boot({ script, directories: { files }, timeoutMs: 300_000 });
  log(`${label}: ${(result.wallMs / 1000).toFixed(1)} s (script began at guest uptime ${result.beganAt} s)`);
  if (result.timedOut || result.beganAt === undefined || result.noDisk)
    throw new Error(`${label}: the guest did not run the script\n${result.console.slice(-4000)}`);
  return result;
}

/** A boot the machine must not survive: the script's end is never reported, the console shows the panic. */
function expectCrashed(result: BootResult, panic: string): void {
  expect(result.status, result.console.slice(-3000)).toBeUndefined();
  expect(result.console).toContain(panic);
}

// The crash guard on Debian's kernel with systemd under qemu (panic=-1 and -no-reboot: a panic
// ends the qemu run; the next boot is a new run on the same disk). A livepatch that panics the
// machine when /proc/cmdline is read by a program named tsbp-crash-now is loaded at boot by
// tsbuild-patch.service; the read panics the machine; the next boot comes up without it, the
// unit fails naming it and why, `list` says why, a load by hand warns, clear-crash-guard releases
// it. Then a module loaded at a boot that ends cleanly is loaded again; one that the timer marked
// good before a crash (sysrq) is loaded again too.
describe(`tsbuild-patch-ctl: the crash guard on Debian 12 with systemd (kernel ${KERNEL})`, () => {
  it('a livepatch that panics the machine is not loaded again at boot and is reported until cleared; clean shutdowns and modules marked good are not held', async () => {
    const panic = await buildLivepatch(PANIC, { kernel: KERNEL, name: 'livepatch-cmdline-panic' });
    expect(panic.report.objects.map((o) => [o.object, o.changedFunctions])).toEqual([
      ['fs/proc/cmdline.o', ['cmdline_proc_show']],
    ]);
    const good = await buildLivepatch(EXAMPLE, { kernel: KERNEL, name: 'livepatch-cmdline-good' });
    const files = join(work.path, 'files');
    await mkdir(files, { recursive: true });
    await copyFile(panic.ko, join(files, 'panic.ko'));
    await copyFile(good.ko, join(files, 'good.ko'));
    await buildToolsPackage(files, 'tsbuild-patch tests <tests@tsbuild-patch.invalid>');
    const f = '/srv/test/files';
    const store = `/var/lib/tsbuild-patch/${KERNEL}`;

    const machine = await SystemMachine.create(await debianSystemImage(KERNEL!, log), join(work.path, 'machines'));
    try {
      // Boot 1: the tools, and the panicking module in the store. The timer is held off (an
      // hour) so that it cannot mark the module good before the next boot's script crashes it.
      const one = await boot(
        machine,
        'install',
        `
        dpkg -i ${f}/tsbuild-patch-tools_*_all.deb > /tmp/dpkg.log 2>&1; report dpkg $?
        report dpkg_log "$(cat /tmp/dpkg.log)"
        tsbuild-patch-ctl install ${f}/panic.ko > /tmp/i.log 2>&1; report install $?
        mkdir -p ${TIMER_DROP_IN.replace(/\/[^/]+$/, '')}
        printf '[Timer]\\nOnActiveSec=\\nOnActiveSec=3600\\n' > ${TIMER_DROP_IN}
        report static "$(systemctl is-enabled tsbuild-patch-clean-shutdown.service tsbuild-patch-mark-good.timer 2>&1 | tr '\\n' ' ')"
        `,
        files,
      );
      expect(one.status).toBe(0);
      expect(one.values['dpkg'], one.values['dpkg_log']).toBe('0');
      expect(one.values['install']).toBe('0');
      expect(one.values['static']).toBe('static static ');

      // Boot 2: the unit loads it (recorded); the script reads /proc/cmdline as tsbp-crash-now.
      const two = await boot(
        machine,
        'load and panic',
        `${STATE('loaded')}
        report shutdown_unit "$(systemctl is-active tsbuild-patch-clean-shutdown.service)"
        report timer "$(systemctl is-active tsbuild-patch-mark-good.timer)"
        report cmdline "$(cat /proc/cmdline)"
        cp /bin/cat /tmp/tsbp-crash-now
        report crashing now
        ${SETTLE}
        /tmp/tsbp-crash-now /proc/cmdline
        report survived yes
        `,
        files,
      );
      expectCrashed(two, PANIC_MESSAGE);
      const v2 = two.values;
      expect(v2['survived']).toBeUndefined();
      expect(v2['crashing']).toBe('now');
      expect(v2['loaded_unit']).toBe('active');
      expect(v2['loaded_patches']).toBe('livepatch_cmdline_panic ');
      expect(v2['loaded_pending']).toMatch(new RegExp(`^livepatch_cmdline_panic:loaded ${KERNEL} \\d+$`));
      expect(v2['loaded_list']).toContain(
        'Watched by the crash guard (loaded at this boot, good after running 120 s):\n  livepatch_cmdline_panic: has run for',
      );
      expect(v2['shutdown_unit']).toBe('active');
      expect(v2['timer']).toBe('active');
      // Any other program reads /proc/cmdline as before.
      expect(v2['cmdline']).toBe(KERNEL_CMDLINE);
      const crashedBoot = v2['loaded_boot_id']!;

      // Boot 3: the unit holds it and fails, naming it and why; the machine is unpatched.
      const three = await boot(
        machine,
        'after the panic',
        `${STATE('held')}
        cp /bin/cat /tmp/tsbp-crash-now
        report read "$(/tmp/tsbp-crash-now /proc/cmdline)"
        tsbuild-patch-ctl load ${store}/livepatch_cmdline_panic.ko > /tmp/m.log 2>&1; report manual $?
        report manual_log "$(cat /tmp/m.log)"
        report manual_patches "$(ls /sys/kernel/livepatch | tr '\\n' ' ')"
        tsbuild-patch-ctl unload livepatch_cmdline_panic > /tmp/u.log 2>&1; report unload $?
        tsbuild-patch-ctl clear-crash-guard livepatch_cmdline_panic > /tmp/c.log 2>&1; report clear $?
        report clear_log "$(cat /tmp/c.log)"
        tsbuild-patch-ctl uninstall livepatch_cmdline_panic > /tmp/u.log 2>&1; report uninstall $?
        report cleared_list "$(tsbuild-patch-ctl list 2>&1)"
        # A module loaded at a boot that then ends cleanly, less than 120 s later.
        tsbuild-patch-ctl install ${f}/good.ko > /tmp/i.log 2>&1; report install_good $?
        tsbuild-patch-ctl load ${store}/livepatch_cmdline_good.ko > /tmp/g.log 2>&1; report load_good $?
        report load_good_log "$(cat /tmp/g.log)"
        report good_pending "$(cat ${GUARD}/pending/livepatch_cmdline_good)"
        # From the next boot on: good after 5 s, and the timer fires after 5 s.
        echo CRASH_GUARD_SECONDS=5 > /etc/default/tsbuild-patch
        printf '[Timer]\\nOnActiveSec=\\nOnActiveSec=5\\n' > ${TIMER_DROP_IN}
        `,
        files,
      );
      expect(three.status).toBe(0);
      const v3 = three.values;
      log(`unit log after the panic:\n${v3['held_unit_log']}`);
      log(`list after the panic:\n${v3['held_list']}`);
      const why = `the boot ${crashedBoot} (kernel ${KERNEL}) ended without a clean shutdown; it had been loaded (at `;
      expect(v3['held_unit']).toBe('failed');
      expect(v3['held_unit_log']).toContain(`livepatch_cmdline_panic: held by the crash guard: ${why}`);
      expect(v3['held_unit_log']).toContain(
        "'tsbuild-patch-ctl clear-crash-guard livepatch_cmdline_panic' lets tsbuild-patch.service load it again",
      );
      expect(v3['held_patches']).toBe('');
      expect(v3['held_list']).toContain(
        `Held by the crash guard (not loaded at boot; 'tsbuild-patch-ctl clear-crash-guard NAME' releases one):\n  livepatch_cmdline_panic: ${why}`,
      );
      expect(v3['held_held']).toContain(`livepatch_cmdline_panic:${why}`);
      expect(v3['read']).toBe(KERNEL_CMDLINE);
      // A load by hand is not blocked: it warns.
      expect(v3['manual'], v3['manual_log']).toBe('0');
      expect(v3['manual_log']).toContain('livepatch_cmdline_panic: held by the crash guard (');
      expect(v3['manual_log']).toContain('loading it as asked');
      expect(v3['manual_patches']).toBe('livepatch_cmdline_panic ');
      expect(v3['unload']).toBe('0');
      expect(v3['clear'], v3['clear_log']).toBe('0');
      expect(v3['uninstall']).toBe('0');
      expect(v3['cleared_list']).not.toContain('crash guard');
      expect(v3['load_good'], v3['load_good_log']).toBe('0');
      expect(v3['good_pending']).toMatch(new RegExp(`^loaded ${KERNEL} \\d+$`));

      // Boot 4: the clean shutdown of boot 3 lets the unit load the good module again; the timer
      // marks it good; then the machine crashes (sysrq).
      const four = await boot(
        machine,
        'clean shutdown, marked good, sysrq crash',
        `${STATE('clean')}
        for i in $(seq 90); do [ -e ${GUARD}/pending/livepatch_cmdline_good ] || break; sleep 1; done
        report marked_pending "$(ls ${GUARD}/pending)"
        report mark_log "$(journalctl -b -u tsbuild-patch-mark-good.service -o cat --no-pager 2>&1)"
        report cmdline "$(cat /proc/cmdline)"
        report crashing now
        ${SETTLE}
        echo c > /proc/sysrq-trigger
        report survived yes
        `,
        files,
      );
      expectCrashed(four, 'Kernel panic - not syncing: sysrq triggered crash');
      const v4 = four.values;
      log(`mark-good's log:\n${v4['mark_log']}`);
      expect(v4['clean_unit']).toBe('active');
      expect(v4['clean_unit_log']).not.toContain('held');
      expect(v4['clean_patches']).toBe('livepatch_cmdline_good ');
      expect(v4['marked_pending']).toBe('');
      expect(v4['mark_log']).toMatch(/livepatch_cmdline_good: has run for \d+ s: marked good/);
      expect(v4['cmdline']).toBe(`${KERNEL_CMDLINE} livepatch=tsbuild-patch`);

      // Boot 5: a module marked good before the crash is loaded again.
      const five = await boot(machine, 'after a crash with the module good', STATE('good'), files);
      expect(five.status).toBe(0);
      const v5 = five.values;
      expect(v5['good_unit'], v5['good_unit_log']).toBe('active');
      expect(v5['good_patches']).toBe('livepatch_cmdline_good ');
      expect(v5['good_held']).toBe('');
      expect(v5['good_list']).not.toContain('Held by the crash guard');
    } finally {
      await machine.dispose();
    }
  });
});
