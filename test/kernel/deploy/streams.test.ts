import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLivepatch, PATCHES } from '../e2e/harness.js';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { promotePackages, publishPackages } from '../../../src/deploy/repository/repository.js';
import { debianSystemImage } from '../../support/system-vm/image.js';
import { KERNEL_CMDLINE, SystemMachine, type BootResult } from '../../support/system-vm/machine.js';
import { debianReleases } from '../debian/releases.js';
import { APT_UPDATE, CONFIGURE_APT, UNIT_TIMING, apt } from './guest-scripts.js';
import { streamBuild } from './stream-builds.js';

/** The newest release the archive can build: the machine runs it. */
const [KERNEL] = await debianReleases();
const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
/** /proc/loadavg's last line says "patch A". */
const LOADAVG = join(PATCHES, 'replace-a.patch');
/** /proc/version's last line says "version: livepatched". */
const VERSION = join(PATCHES, 'proc-version-string.patch');
/** /proc/sys/fs/binfmt_misc/status says "enabled (livepatched)" (a function of binfmt_misc.ko). */
const BINFMT = join(PATCHES, 'debian/binfmt-misc-status.patch');
/** A new function called by /proc/version's show function (the stream that is refused). */
const NEW_FUNCTION = join(PATCHES, 'new-function.patch');
const MAINTAINER = 'tsbuild-patch tests <tests@tsbuild-patch.invalid>';
const log = (line: string) => process.stderr.write(`  [streams] ${line}\n`);

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await dir({ prefix: 'tsbp-streams-', unsafeCleanup: true });
});
afterAll(async () => work.cleanup());

/** Boot, fail with the console tail if the driver did not run to the end. */
async function boot(
  machine: SystemMachine,
  label: string,
  script: string,
  directories: Record<string, string>,
): Promise<BootResult> {
  const result = await machine.boot({ script, directories, timeoutMs: 300_000 });
  log(`${label}: boot took ${(result.wallMs / 1000).toFixed(1)} s in all`);
  if (result.timedOut || result.status === undefined || result.noDisk) {
    throw new Error(
      `${label}: the guest did not finish (timed out: ${result.timedOut}, no disk: ${result.noDisk})\n${result.console.slice(-4000)}`,
    );
  }
  return result;
}

/** What each patch shows, the patches applied and the loaded livepatch modules: under PREFIX_*. */
const STATE = (prefix: string) => `
modprobe binfmt_misc
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
report ${prefix}_cmdline "$(cat /proc/cmdline)"
report ${prefix}_loadavg "$(tail -n 1 /proc/loadavg)"
report ${prefix}_version "$(tail -n 1 /proc/version)"
report ${prefix}_binfmt "$(cat /proc/sys/fs/binfmt_misc/status)"
report ${prefix}_patches "$(ls /sys/kernel/livepatch 2>/dev/null | sort | tr '\\n' ' ')"
report ${prefix}_modules "$(ls -d /sys/module/livepatch_* 2>/dev/null | xargs -r -n1 basename | sort | tr '\\n' ' ')"
report ${prefix}_list "$(tsbuild-patch-ctl list 2>&1)"
`;

const PATCHED_CMDLINE = `${KERNEL_CMDLINE} livepatch=tsbuild-patch`;
const ALL_FIRST = 'livepatch_binfmt_status livepatch_proc_1 livepatch_version_1 ';
const ALL_UPGRADED = 'livepatch_binfmt_status livepatch_proc_2 livepatch_version_1 ';

// Two streams and a patch outside any, installed from a repository on Debian 12 with systemd:
// all three stay applied together, across reboots (the unit loads them) and across an upgrade of
// one stream (its version 2 replaces its version 1 and adds a patch; the others stay). An
// atomic-replace build of a third stream is refused by the loader, with the three named, whether
// loaded or installed.
describe(`streams: two streams and a stacked patch together on Debian 12 with systemd (kernel ${KERNEL})`, () => {
  it('all three applied after install and after each reboot, an upgrade of one stream replaces only it, an atomic-replace stream is refused naming them', async () => {
    const releases = [KERNEL!];
    const proc1 = await streamBuild(work.path, { name: 'proc', version: 1 }, [EXAMPLE], releases);
    const proc2 = await streamBuild(work.path, { name: 'proc', version: 2 }, [EXAMPLE, LOADAVG], releases);
    const version1 = await streamBuild(work.path, { name: 'version', version: 1 }, [VERSION], releases);
    const solo = await streamBuild(work.path, { name: 'solo', version: 1 }, [NEW_FUNCTION], releases, {
      replace: true,
    });
    const binfmt = await buildLivepatch(BINFMT, { kernel: KERNEL, name: 'livepatch-binfmt-status' });

    const debs = join(work.path, 'debs');
    const packaged = async (modules: string[], extra: { name?: string; version?: string } = {}) =>
      (await buildPatchPackage({ modules, maintainer: MAINTAINER, outputDir: debs, ...extra })).path;
    const first = [
      await packaged([proc1[KERNEL!]!]),
      await packaged([version1[KERNEL!]!]),
      await packaged([binfmt.ko], { name: 'livepatch-binfmt-status', version: '1' }),
      await buildToolsPackage(debs, MAINTAINER),
    ];
    const proc2deb = await packaged([proc2[KERNEL!]!]);
    const repo = join(work.path, 'repo');
    const layout = await publishPackages(repo, first, 'testing', { log });
    await promotePackages(repo, [], 'testing', 'stable', { log });
    const files = join(work.path, 'files');
    await mkdir(files, { recursive: true });
    await copyFile(solo[KERNEL!]!, join(files, 'solo.ko'));
    const disks = { repo: layout.public, files };

    const machine = await SystemMachine.create(await debianSystemImage(KERNEL!, log), join(work.path, 'machines'));

    // Boot 1: the three packages in one apt-get install; then the atomic-replace stream, refused.
    const one = (
      await boot(
        machine,
        'install',
        `${CONFIGURE_APT}${APT_UPDATE}${apt('install', 'install -y -q livepatch-proc livepatch-version livepatch-binfmt-status')}${STATE('installed')}
        report before "$(cat /proc/version | tail -n 1)"
        tsbuild-patch-ctl load /srv/test/files/solo.ko > /tmp/solo.log 2>&1; report solo_load $?
        report solo_load_log "$(cat /tmp/solo.log)"
        tsbuild-patch-ctl install /srv/test/files/solo.ko > /tmp/solo.log 2>&1; report solo_install $?
        report solo_install_log "$(cat /tmp/solo.log)"
        report solo_store "$(ls /var/lib/tsbuild-patch/${KERNEL} | tr '\\n' ' ')"
        ${STATE('refused')}`,
        disks,
      )
    ).values;
    expect(one['install'], one['install_log']).toBe('0');
    log(`apt-get install of the three took ${one['install_seconds']} s in the guest`);
    expect(one['installed_cmdline']).toBe(PATCHED_CMDLINE);
    expect(one['installed_version']).toBe('version: livepatched');
    expect(one['installed_binfmt']).toBe('enabled (livepatched)');
    expect(one['installed_loadavg']).not.toContain('patch A');
    expect(one['installed_patches']).toBe(ALL_FIRST);
    expect(one['installed_list']).toContain(`  ${KERNEL} (running): proc version 1\n`);
    expect(one['installed_list']).toContain(`  ${KERNEL} (running): version version 1\n`);

    const victims =
      'livepatch_binfmt_status (outside any stream), livepatch_proc_1 (stream proc, version 1), livepatch_version_1 (stream version, version 1)';
    expect(one['solo_load']).toBe('6');
    expect(one['solo_load_log']).toContain(
      `livepatch_solo_1 (stream solo, version 1) uses atomic replace: loaded now, it would disable ${victims}: refused`,
    );
    expect(one['solo_install']).toBe('6');
    expect(one['solo_install_log']).toContain(
      `livepatch_solo_1 (stream solo, version 1) uses atomic replace: installed for ${KERNEL} (loaded at every boot), it would disable ${victims}: refused`,
    );
    expect(one['solo_store']).toBe('livepatch_binfmt_status.ko livepatch_proc_1.ko livepatch_version_1.ko ');
    // Nothing changed.
    for (const what of ['cmdline', 'version', 'binfmt', 'patches', 'modules'])
      expect(one[`refused_${what}`], what).toBe(one[`installed_${what}`]);

    // Boot 2: the unit loads all three; then stream proc's version 2 (with /proc/loadavg's patch).
    await publishPackages(repo, [proc2deb], 'testing', { log });
    await promotePackages(repo, ['livepatch-proc'], 'testing', 'stable', { log });
    const two = (
      await boot(
        machine,
        'reboot and upgrade one stream',
        `${STATE('boot')}${UNIT_TIMING}${APT_UPDATE}${apt('upgrade', 'install -y -q livepatch-proc')}${STATE('upgraded')}`,
        disks,
      )
    ).values;
    expect(two['unit_active'], two['unit_log']).toBe('active');
    expect(two['boot_cmdline']).toBe(PATCHED_CMDLINE);
    expect(two['boot_version']).toBe('version: livepatched');
    expect(two['boot_binfmt']).toBe('enabled (livepatched)');
    expect(two['boot_patches']).toBe(ALL_FIRST);
    expect(two['kernel_log']).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);
    expect(two['upgrade'], two['upgrade_log']).toBe('0');
    expect(two['upgrade_log']).toContain(
      'livepatch_proc_1: version 1 of stream proc, replaced by version 2 (livepatch_proc_2): unloading it',
    );
    expect(two['upgraded_cmdline']).toBe(PATCHED_CMDLINE);
    expect(two['upgraded_loadavg']).toBe('patch A');
    expect(two['upgraded_version']).toBe('version: livepatched');
    expect(two['upgraded_binfmt']).toBe('enabled (livepatched)');
    expect(two['upgraded_patches']).toBe(ALL_UPGRADED);
    expect(two['upgraded_modules']).toBe(ALL_UPGRADED);
    expect(two['upgraded_list']).toContain(`  ${KERNEL} (running): proc version 2, version 1 kept for rollback\n`);

    // Boot 3: after a reboot, the three are applied again, stream proc at version 2.
    const three = (await boot(machine, 'reboot after the upgrade', `${STATE('after')}${UNIT_TIMING}`, disks)).values;
    expect(three['unit_active'], three['unit_log']).toBe('active');
    expect(three['after_cmdline']).toBe(PATCHED_CMDLINE);
    expect(three['after_loadavg']).toBe('patch A');
    expect(three['after_version']).toBe('version: livepatched');
    expect(three['after_binfmt']).toBe('enabled (livepatched)');
    expect(three['after_patches']).toBe(ALL_UPGRADED);
    expect(three['kernel_log']).not.toMatch(/Oops|BUG:|WARNING:|disagrees about version|Unknown symbol/);
    await machine.dispose();
  });
});
