import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { promotePackages, publishPackages } from '../../../src/deploy/repository/repository.js';
import { debianSystemImage } from '../../support/system-vm/image.js';
import { KERNEL_CMDLINE, SystemMachine, type BootResult } from '../../support/system-vm/machine.js';
import { debianReleases } from '../debian/releases.js';
import { APT_UPDATE, CONFIGURE_APT, STATE, UNIT_TIMING, apt } from './guest-scripts.js';
import { streamBuild } from './stream-builds.js';

/**
 * The machine runs the newest release the archive can build; OTHER is the release of the module
 * the package carries but the machine does not run (the older release under test).
 */
const [KERNEL, OTHER] = await debianReleases();
/** The store, the manifest and `tsbuild-patch-ctl list` name the releases in byte order (shell globs, sort). */
const [FIRST, SECOND] = [KERNEL, OTHER].sort();
const inOrder = (each: (release: string) => string) => `${each(FIRST!)} ${each(SECOND!)} `;
const listed = (release: string) => `  ${release}${release === KERNEL ? ' (running)' : ''}: livepatch_cmdline_1`;
const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
/** Version 2 of the stream: the example and this fix of it (/proc/cmdline says ...-v2). */
const V2_FIX = fileURLToPath(new URL('./cmdline-v2.patch', import.meta.url));
const MAINTAINER = 'tsbuild-patch tests <tests@tsbuild-patch.invalid>';
const log = (line: string) => process.stderr.write(`  [deploy] ${line}\n`);
/** TSBP_DEPLOY_VERBOSE=1: show what apt printed in the guest. */
const verbose = (label: string, text: string | undefined) => {
  if (process.env['TSBP_DEPLOY_VERBOSE']) log(`${label}:\n${text ?? '(nothing)'}`);
};

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await dir({ prefix: 'tsbp-deploy-', unsafeCleanup: true });
});
afterAll(async () => work.cleanup());

/** Boot, fail with the console tail if the driver did not run to the end. */
async function boot(machine: SystemMachine, label: string, script: string, repo: string): Promise<BootResult> {
  const result = await machine.boot({ script, directories: { repo }, timeoutMs: 300_000 });
  log(
    `${label}: script started ${(result.wallToScriptMs ?? NaN) / 1000} s after qemu started (guest uptime ${result.beganAt} s), boot took ${(result.wallMs / 1000).toFixed(1)} s in all`,
  );
  if (result.timedOut || result.status === undefined || result.noDisk) {
    throw new Error(
      `${label}: the guest did not finish (timed out: ${result.timedOut}, no disk: ${result.noDisk})\n${result.console.slice(-4000)}`,
    );
  }
  return result;
}

const PATCHED_1 = `${KERNEL_CMDLINE} livepatch=tsbuild-patch`;
const PATCHED_2 = `${KERNEL_CMDLINE} livepatch=tsbuild-patch-v2`;

describe(`deploy: a stream's package from a signed repository on Debian 12 with systemd (kernel ${KERNEL})`, () => {
  it('apt install → patched; reboot → patched by the unit; upgrade → replaced; rollback → the old build, also after a reboot; remove → unpatched; the other release left alone', async () => {
    // Two builds of the stream cmdline (livepatch-cmdline-1, -2: the new one replaces the old),
    // each for the running release and for one the machine does not run (built for real: its
    // tree is the one the Debian kernel tests prepare).
    const releases = [KERNEL!, OTHER!];
    const v1 = await streamBuild(work.path, { name: 'cmdline', version: 1 }, [EXAMPLE], releases);
    const v2 = await streamBuild(work.path, { name: 'cmdline', version: 2 }, [EXAMPLE, V2_FIX], releases);

    // Packages (livepatch-cmdline 1 and 2: the stream's name and version) and the repository: v1
    // and the tools go to testing, then to stable.
    const debs = join(work.path, 'debs');
    const p1 = await buildPatchPackage({
      modules: releases.map((r) => v1[r]!),
      maintainer: MAINTAINER,
      outputDir: debs,
    });
    const p2 = await buildPatchPackage({
      modules: releases.map((r) => v2[r]!),
      maintainer: MAINTAINER,
      outputDir: debs,
    });
    expect([p1.name, p1.version, p2.name, p2.version]).toEqual(['livepatch-cmdline', '1', 'livepatch-cmdline', '2']);
    const tools = await buildToolsPackage(debs, MAINTAINER);
    const repo = join(work.path, 'repo');
    const layout = await publishPackages(repo, [p1.path, tools], 'testing', { log });
    await promotePackages(repo, [], 'testing', 'stable', { log });

    const image = await debianSystemImage(KERNEL, log);
    const machine = await SystemMachine.create(image, join(work.path, 'machines'));

    // Boot 1: install from the repository.
    const first = await boot(
      machine,
      'install',
      `${CONFIGURE_APT}${APT_UPDATE}${apt('install', 'install -y -q livepatch-cmdline')}${STATE('installed')}
      report tools "$(dpkg-query -W -f='\${Version} \${db:Status-Abbrev}' tsbuild-patch-tools)"
      report unit_enabled "$(systemctl is-enabled tsbuild-patch.service)"
      report other_vermagic "$(modinfo -F vermagic /var/lib/tsbuild-patch/${OTHER}/livepatch_cmdline_1.ko)"
      report other_load "$(tsbuild-patch-ctl load /var/lib/tsbuild-patch/${OTHER}/livepatch_cmdline_1.ko 2>&1; echo "exit $?")"`,
      layout.public,
    );
    const one = first.values;
    expect(one['update'], one['update_log']).toBe('0');
    expect(one['install'], one['install_log']).toBe('0');
    log(`apt-get install took ${one['install_seconds']} s in the guest`);
    verbose('apt-get install', one['install_log']);
    expect(one['install_log']).toContain('livepatch_cmdline_1: loaded, transition complete');
    expect(one['installed_cmdline']).toBe(PATCHED_1);
    expect(one['installed_patches']).toBe('livepatch_cmdline_1 ');
    expect(one['installed_store']).toBe(inOrder((r) => `./${r}/livepatch_cmdline_1.ko`));
    expect(one['installed_list']).toContain('livepatch_cmdline_1 [enabled]\n    vmlinux: cmdline_proc_show');
    expect(one['installed_list']).toContain(`Installed patches:\n${listed(FIRST!)}\n${listed(SECOND!)}`);
    expect(one['installed_package']).toBe('1 ii ');
    expect(one['installed_manifest']).toBe(inOrder((r) => `${r}/livepatch_cmdline_1`));
    expect(one['installed_kept']).toBe('');
    expect(one['installed_list']).toContain(
      `Streams (the build loaded at boot; 'tsbuild-patch-ctl rollback STREAM' loads the one kept):\n  ${FIRST}${FIRST === KERNEL ? ' (running)' : ''}: cmdline version 1\n`,
    );
    expect(one['tools']).toBe('0.1.0 ii ');
    expect(one['unit_enabled']).toBe('enabled');
    // The other release's module waits in its own store; the loader refuses it on this kernel.
    expect(one['other_vermagic']).toBe(`${OTHER} SMP preempt mod_unload modversions `);
    expect(one['other_load']).toContain(`built for kernel ${OTHER}, this kernel is ${KERNEL}`);
    expect(one['other_load']).toMatch(/exit 1$/);

    // Boot 2: the unit loads it again at boot.
    const second = await boot(machine, 'reboot', `${STATE('boot')}${UNIT_TIMING}`, layout.public);
    const two = second.values;
    expect(two['boot_cmdline']).toBe(PATCHED_1);
    expect(two['boot_patches']).toBe('livepatch_cmdline_1 ');
    expect(two['unit_active']).toBe('active');
    expect(two['boot_list']).toContain('livepatch_cmdline_1 [enabled]');
    const patchedAt = Number(two['unit_done_us']) / 1e6;
    log(
      `boot-to-patched: the unit had loaded the patch ${patchedAt.toFixed(2)} s after the kernel started; the test script ran ${(second.wallToScriptMs! / 1000).toFixed(1)} s after qemu started`,
    );
    log(`unit log: ${two['unit_log']}`);
    expect(patchedAt).toBeGreaterThan(0);
    expect(two['kernel_log']).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);

    // Boot 3: version 2 reaches stable; apt upgrades, the new build replaces the old one, which is
    // kept; then rollback: the old build replaces the new one.
    await publishPackages(repo, [p2.path], 'testing', { log });
    await promotePackages(repo, ['livepatch-cmdline'], 'testing', 'stable', { log });
    const third = await boot(
      machine,
      'upgrade and rollback',
      `${APT_UPDATE}${apt('upgrade', 'install -y -q livepatch-cmdline')}${STATE('upgraded')}
      start=$(cut -d' ' -f1 /proc/uptime)
      tsbuild-patch-ctl rollback cmdline > /tmp/rollback.log 2>&1; report rollback $?
      report rollback_seconds "$(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime)"
      report rollback_log "$(cat /tmp/rollback.log)"
      ${STATE('rolledback')}`,
      layout.public,
    );
    const three = third.values;
    expect(three['upgrade'], three['upgrade_log']).toBe('0');
    log(`apt-get upgrade took ${three['upgrade_seconds']} s, rollback ${three['rollback_seconds']} s in the guest`);
    verbose('apt-get upgrade', three['upgrade_log']);
    verbose('rollback', three['rollback_log']);
    verbose('list after the upgrade', three['upgraded_list']);
    // The new build goes into the store in the old one's place (which is kept), is applied, and
    // the old one goes.
    const steps = [
      `livepatch_cmdline_1: version 1 of stream cmdline kept for rollback (${KERNEL})`,
      `livepatch_cmdline_2: installed for ${KERNEL}`,
      'livepatch_cmdline_2: loaded, transition complete',
      'livepatch_cmdline_1: version 1 of stream cmdline, replaced by version 2 (livepatch_cmdline_2): unloading it',
      'livepatch_cmdline_1: module removed',
    ];
    const at = steps.map((step) => three['upgrade_log']!.indexOf(step));
    expect(
      at.every((i) => i >= 0),
      three['upgrade_log'],
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(three['upgraded_cmdline']).toBe(PATCHED_2);
    expect(three['upgraded_patches']).toBe('livepatch_cmdline_2 ');
    expect(three['upgraded_modules']).toBe('livepatch_cmdline_2 ');
    expect(three['upgraded_store']).toBe(inOrder((r) => `./${r}/livepatch_cmdline_2.ko`));
    expect(three['upgraded_kept']).toBe(inOrder((r) => `./${r}/livepatch_cmdline_1.ko`));
    expect(three['upgraded_package']).toBe('2 ii ');
    expect(three['upgraded_manifest']).toBe(inOrder((r) => `${r}/livepatch_cmdline_2`));
    // Rollback: version 1 applied (it replaced version 2, whose module is gone), and installed
    // in version 2's place for every release; the package stays at 2.
    expect(three['rollback'], three['rollback_log']).toBe('0');
    expect(three['rollback_log']).toContain('cmdline: rolling back from version 2 to version 1');
    expect(three['rollback_log']).toContain(
      'livepatch_cmdline_2: version 2 of stream cmdline, replaced by version 1 (livepatch_cmdline_1): unloading it',
    );
    expect(three['rolledback_cmdline']).toBe(PATCHED_1);
    expect(three['rolledback_patches']).toBe('livepatch_cmdline_1 ');
    expect(three['rolledback_modules']).toBe('livepatch_cmdline_1 ');
    expect(three['rolledback_store']).toBe(inOrder((r) => `./${r}/livepatch_cmdline_1.ko`));
    expect(three['rolledback_kept']).toBe(inOrder((r) => `./${r}/livepatch_cmdline_2.ko`));
    expect(three['rolledback_list']).toContain(
      `  ${KERNEL} (running): cmdline version 1, rolled back from version 2\n`,
    );
    expect(three['rolledback_package']).toBe('2 ii ');

    // Boot 4: the unit loads the rolled-back build; then remove: whatever build of the stream is
    // installed goes, and the kept one.
    const fourth = await boot(
      machine,
      'reboot after rollback, and remove',
      `${STATE('rebooted')}${UNIT_TIMING}${apt('remove', 'remove -y -q livepatch-cmdline')}${STATE('removed')}`,
      layout.public,
    );
    const four = fourth.values;
    expect(four['rebooted_cmdline']).toBe(PATCHED_1);
    expect(four['rebooted_patches']).toBe('livepatch_cmdline_1 ');
    expect(four['rebooted_modules']).toBe('livepatch_cmdline_1 ');
    expect(four['unit_active']).toBe('active');
    expect(four['remove'], four['remove_log']).toBe('0');
    log(`apt-get remove took ${four['remove_seconds']} s in the guest`);
    verbose('apt-get remove', four['remove_log']);
    expect(four['remove_log']).toContain('livepatch_cmdline_1: module removed');
    expect(four['removed_cmdline']).toBe(KERNEL_CMDLINE);
    expect(four['removed_patches']).toBe('');
    expect(four['removed_modules']).toBe('');
    expect(four['removed_store']).toBe('');
    expect(four['removed_kept']).toBe('');
    expect(four['removed_manifest']).toBe('');
    expect(four['removed_package']).not.toMatch(/ii/);

    // Boot 5: nothing is loaded at boot any more.
    const fifth = await boot(machine, 'reboot after remove', `${STATE('after')}${UNIT_TIMING}`, layout.public);
    expect(fifth.values['after_cmdline']).toBe(KERNEL_CMDLINE);
    expect(fifth.values['after_patches']).toBe('');
    expect(fifth.values['unit_active']).toBe('active');
    await machine.dispose();
  });
});
