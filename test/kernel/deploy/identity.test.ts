import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLivepatch, PATCHES } from '../e2e/harness.js';
import { TARGET_BUILD_ID_KEY, VMLINUX_BUILD_ID_KEY } from '../../../src/emit/built-against.js';
import { readElf, readModinfo } from '../../../src/elf/index.js';
import { fileBuildId } from '../../../src/kernel/facts/build-id.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { distroTarget } from '../../../src/sources/distro-target.js';
import { debianSystemImage } from '../../support/system-vm/image.js';
import { KERNEL_CMDLINE, SystemMachine } from '../../support/system-vm/machine.js';
import { debianReleases } from '../debian/releases.js';

/** The newest release the archive can build. */
const [KERNEL] = await debianReleases();
const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
const BINFMT = join(PATCHES, 'debian/binfmt-misc-status.patch');
const log = (line: string) => process.stderr.write(`  [identity] ${line}\n`);

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await dir({ prefix: 'tsbp-identity-', unsafeCleanup: true });
});
afterAll(async () => work.cleanup());

/** The values of KEY in the .modinfo of KO. */
async function modinfo(ko: string, key: string): Promise<string[]> {
  const section = (await readElf(ko)).sectionByName('.modinfo');
  if (!section) throw new Error(`${ko} has no .modinfo`);
  return readModinfo(section)
    .filter((e) => e.key === key)
    .map((e) => e.value);
}

/** Another build-id of the same length: every hex digit changed. */
const otherId = (id: string) => id.replace(/[0-9a-f]/g, (d) => (15 - parseInt(d, 16)).toString(16));

/**
 * KO with the recorded `KEY=FROM` rewritten to `KEY=TO` in its .modinfo (the same length, so the
 * ELF stays as it was): what a module built against another build of the same release records.
 */
async function recordingOther(ko: string, out: string, key: string, from: string, to: string): Promise<string> {
  const bytes = await readFile(ko);
  const was = Buffer.from(`${key}=${from}\0`);
  const now = Buffer.from(`${key}=${to}\0`);
  expect(now.length).toBe(was.length);
  const at = bytes.indexOf(was);
  expect(at, `${key}=${from} in ${ko}`).toBeGreaterThanOrEqual(0);
  expect(bytes.indexOf(was, at + 1)).toBe(-1);
  now.copy(bytes, at);
  await writeFile(out, bytes);
  return out;
}

// The kernel's identity on Debian's kernel under qemu: a module records the build-ids of the
// vmlinux and the target module it was built against; tsbuild-patch-ctl reads the running
// kernel's from /sys/kernel/notes and binfmt_misc's from /sys/module/binfmt_misc/notes, loads a
// module that matches, and refuses (exit 4, both ids named) one whose recorded build-id is
// another build's. Such a module is made by rewriting the recorded id in a real module's .modinfo
// (same length): the vermagic stays the running release's, as for two builds of one release
// (6.12.115+deb13 and 6.12.115+deb13.1), which the archive does not serve side by side to build.
describe(`tsbuild-patch-ctl: the kernel's identity on Debian 12 (kernel ${KERNEL})`, () => {
  it('loads a module built against the running kernel and binfmt_misc; refuses one recording another build of either, naming both ids, by load and by load-installed', async () => {
    const cmdline = await buildLivepatch(EXAMPLE, { kernel: KERNEL, name: 'livepatch-cmdline-identity' });
    const binfmt = await buildLivepatch(BINFMT, { kernel: KERNEL, name: 'livepatch-binfmt-identity' });
    const target = await distroTarget(KERNEL!, log);

    // What the build recorded: the build-id of the vmlinux it was built against, and binfmt_misc's.
    const kernelId = await fileBuildId(target.vmlinux);
    expect(kernelId).toMatch(/^[0-9a-f]{40}$/);
    expect(await modinfo(cmdline.ko, VMLINUX_BUILD_ID_KEY)).toEqual([kernelId]);
    expect(await modinfo(cmdline.ko, TARGET_BUILD_ID_KEY)).toEqual([]);
    expect(await modinfo(binfmt.ko, VMLINUX_BUILD_ID_KEY)).toEqual([kernelId]);
    const [binfmtRecord] = await modinfo(binfmt.ko, TARGET_BUILD_ID_KEY);
    expect(binfmtRecord).toMatch(/^binfmt_misc:[0-9a-f]{40}$/);
    const binfmtId = binfmtRecord!.slice('binfmt_misc:'.length);

    const files = join(work.path, 'files');
    await mkdir(files, { recursive: true });
    await copyFile(cmdline.ko, join(files, 'cmdline.ko'));
    await copyFile(binfmt.ko, join(files, 'binfmt.ko'));
    const otherKernel = otherId(kernelId!);
    const otherBinfmt = otherId(binfmtId);
    await recordingOther(cmdline.ko, join(files, 'cmdline-other.ko'), VMLINUX_BUILD_ID_KEY, kernelId!, otherKernel);
    await recordingOther(
      binfmt.ko,
      join(files, 'binfmt-other.ko'),
      TARGET_BUILD_ID_KEY,
      binfmtRecord!,
      `binfmt_misc:${otherBinfmt}`,
    );
    await buildToolsPackage(files, 'tsbuild-patch tests <tests@tsbuild-patch.invalid>');

    const machine = await SystemMachine.create(await debianSystemImage(KERNEL!, log), join(work.path, 'machines'));
    const f = '/srv/test/files';
    const result = await machine.boot({
      directories: { files },
      timeoutMs: 300_000,
      script: `
        dpkg -i ${f}/tsbuild-patch-tools_*_all.deb > /tmp/dpkg.log 2>&1; report dpkg $?
        report notes_bytes "$(wc -c < /sys/kernel/notes)"
        tsbuild-patch-ctl load ${f}/cmdline-other.ko > /tmp/l.log 2>&1; report cmdline_other $?
        report cmdline_other_log "$(cat /tmp/l.log)"
        report after_refusal "$(ls /sys/kernel/livepatch; ls -d /sys/module/livepatch_* 2>/dev/null)"
        tsbuild-patch-ctl load ${f}/cmdline.ko > /tmp/l.log 2>&1; report cmdline $?
        report cmdline_log "$(cat /tmp/l.log)"
        report cmdline_patched "$(cat /proc/cmdline)"
        tsbuild-patch-ctl unload livepatch_cmdline_identity > /tmp/l.log 2>&1; report cmdline_unload $?

        modprobe binfmt_misc; report modprobe $?
        report binfmt_note "$(ls -A /sys/module/binfmt_misc/notes)"
        tsbuild-patch-ctl load ${f}/binfmt-other.ko > /tmp/l.log 2>&1; report binfmt_other $?
        report binfmt_other_log "$(cat /tmp/l.log)"
        tsbuild-patch-ctl load ${f}/binfmt.ko > /tmp/l.log 2>&1; report binfmt $?
        report binfmt_log "$(cat /tmp/l.log)"
        mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
        report binfmt_status "$(cat /proc/sys/fs/binfmt_misc/status)"
        tsbuild-patch-ctl unload livepatch_binfmt_identity > /tmp/l.log 2>&1; report binfmt_unload $?

        # load-installed (tsbuild-patch.service's command) goes through the same check.
        tsbuild-patch-ctl install ${f}/cmdline-other.ko > /tmp/l.log 2>&1; report install $?
        tsbuild-patch-ctl load-installed > /tmp/l.log 2>&1; report load_installed $?
        report load_installed_log "$(cat /tmp/l.log)"
        report end_patches "$(ls /sys/kernel/livepatch)"
        report kernel_log "$(dmesg | grep -iE 'livepatch|Oops|BUG|WARNING' | tail -n 30)"
      `,
    });
    await machine.dispose();
    if (result.status === undefined) throw new Error(`the guest did not finish\n${result.console.slice(-4000)}`);
    const v = result.values;
    for (const key of ['cmdline_other_log', 'cmdline_log', 'binfmt_other_log', 'binfmt_log', 'load_installed_log'])
      log(`${key}:\n${v[key]}`);
    expect(v['dpkg']).toBe('0');
    expect(Number(v['notes_bytes'])).toBeGreaterThan(36);

    // Another build of the running kernel: refused before insmod, both ids named.
    expect(v['cmdline_other']).toBe('4');
    expect(v['cmdline_other_log']).toContain(
      `livepatch_cmdline_identity: built against the kernel with build-id ${otherKernel}, but the running kernel's build-id is ${kernelId} (another build of ${KERNEL}): refused`,
    );
    expect(v['after_refusal']).toBe('');
    // The real one: the running kernel's build-id (read from /sys/kernel/notes) is the vmlinux's.
    expect(v['cmdline'], v['cmdline_log']).toBe('0');
    expect(v['cmdline_log']).toContain('livepatch_cmdline_identity: loaded, transition complete');
    expect(v['cmdline_log']).not.toContain('build-id');
    expect(v['cmdline_patched']).toBe(`${KERNEL_CMDLINE} livepatch=tsbuild-patch`);
    expect(v['cmdline_unload']).toBe('0');

    // The target module: binfmt_misc's build-id from /sys/module/binfmt_misc/notes.
    expect(v['modprobe']).toBe('0');
    expect(v['binfmt_note']).toContain('.note.gnu.build-id');
    expect(v['binfmt_other']).toBe('4');
    expect(v['binfmt_other_log']).toContain(
      `livepatch_binfmt_identity: built against module binfmt_misc with build-id ${otherBinfmt}, but the loaded binfmt_misc's build-id is ${binfmtId}: refused`,
    );
    expect(v['binfmt'], v['binfmt_log']).toBe('0');
    expect(v['binfmt_log']).not.toMatch(/build-id|not loaded/);
    expect(v['binfmt_status']).toBe('enabled (livepatched)');
    expect(v['binfmt_unload']).toBe('0');

    expect(v['install']).toBe('0');
    expect(v['load_installed']).toBe('4');
    expect(v['load_installed_log']).toContain(
      `built against the kernel with build-id ${otherKernel}, but the running kernel's build-id is ${kernelId}`,
    );
    expect(v['end_patches']).toBe('');
    expect(v['kernel_log']).not.toMatch(/Oops|BUG:|WARNING:/);
  });
});
