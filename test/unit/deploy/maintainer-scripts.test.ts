import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { CTL, RELEASE, useFakeMachine } from '../runtime/fake-machine.js';
import { fakeLivepatchModule } from './fake-livepatch.js';

// A patch package's maintainer scripts, run as dpkg runs them: the real .deb (dpkg-deb), its
// postinst and prerm under dash with the real tsbuild-patch-ctl, on the fake machine of the
// loader's tests (fake sysfs and store; fake insmod/rmmod; modinfo reads the gcc-made modules).
// An upgrade of a stream's package keeps the build it replaces, so that rollback has it after
// dpkg removed the old package's files; the removal takes away whatever build is installed.
const machine = useFakeMachine();
const OTHER = '6.1.0-50-amd64';
const MAINTAINER = 'Test <test@example.org>';

let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'maintainer-scripts-' });
});
afterAll(async () => tmp?.cleanup());

/** Version VERSION of a package of one module per release (of STREAM, or outside any). */
async function packageOf(pkg: string, version: number, stream?: string): Promise<string> {
  const modules = join(tmp.path, `${pkg}-${version}`);
  await mkdir(modules, { recursive: true });
  const name = stream ? `livepatch-${stream}-${version}` : `${pkg}-${version}`;
  const kos = await Promise.all(
    [RELEASE, OTHER].map((release) =>
      fakeLivepatchModule(modules, {
        name,
        release,
        replace: false,
        ...(stream ? { stream: { name: stream, version } } : {}),
      }),
    ),
  );
  const built = await buildPatchPackage({
    modules: kos,
    ...(stream ? {} : { name: pkg, version: String(version) }),
    maintainer: MAINTAINER,
    outputDir: join(tmp.path, 'debs'),
  });
  return built.path;
}

/** The machine's root, where dpkg unpacks the packages' files. */
const root = () => join(machine.root, 'root');
const packageRoot = () => join(root(), 'usr/lib/tsbuild-patch/packages');

/** What dpkg does: (upgrade:) the old prerm, the new files in place of the old, the new postinst. */
async function dpkgInstall(deb: string, pkg: string, old?: string) {
  const control = join(machine.root, `control-${Date.now()}`);
  await execa('dpkg-deb', ['-e', deb, control]);
  if (old) expect((await script(old, 'prerm', 'upgrade')).code).toBe(0);
  await rm(join(packageRoot(), pkg), { recursive: true, force: true });
  await execa('dpkg-deb', ['-x', deb, root()]);
  return script(control, 'postinst', 'configure');
}

/** What dpkg does to remove a package: its prerm, then its files go. */
async function dpkgRemove(control: string, pkg: string) {
  const result = await script(control, 'prerm', 'remove');
  if (result.code === 0) await rm(join(packageRoot(), pkg), { recursive: true, force: true });
  return result;
}

/** The control directory of DEB, kept for its prerm. */
async function controlOf(deb: string): Promise<string> {
  const control = join(machine.root, `control-of-${deb.split('/').pop()}`);
  await execa('dpkg-deb', ['-e', deb, control]);
  return control;
}

const script = (control: string, name: string, ...args: string[]) =>
  machine.exec(['dash', join(control, name), ...args], { TSBP_PACKAGE_ROOT: packageRoot(), TSBP_CTL: CTL });

const files = async (path: string) => (existsSync(path) ? (await readdir(path)).sort() : []);
const applied = async () => files(join(machine.sysfs, 'kernel/livepatch'));
const loaded = async () => (await files(join(machine.sysfs, 'module'))).filter((m) => m.startsWith('livepatch_'));

describe("a stream's package", () => {
  it('install, upgrade (the old build kept for rollback), rollback, and removal of whatever build is installed', async () => {
    const v1 = await packageOf('livepatch-cmdline', 1, 'cmdline');
    const v2 = await packageOf('livepatch-cmdline', 2, 'cmdline');

    const install = await dpkgInstall(v1, 'livepatch-cmdline');
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('livepatch_cmdline_1: loaded, transition complete');
    expect(await applied()).toEqual(['livepatch_cmdline_1']);
    for (const release of [RELEASE, OTHER])
      expect(await files(join(machine.store, release))).toEqual(['livepatch_cmdline_1.ko']);
    expect(await readFile(join(machine.store, '.packages/livepatch-cmdline'), 'utf8')).toBe(
      `${OTHER}/livepatch_cmdline_1\n${RELEASE}/livepatch_cmdline_1\n`,
    );

    const upgrade = await dpkgInstall(v2, 'livepatch-cmdline', await controlOf(v1));
    expect(upgrade.code, upgrade.stderr).toBe(0);
    // The new build goes into the store, the old one is kept, the new one is applied, the old one goes.
    const steps = [
      `livepatch_cmdline_1: version 1 of stream cmdline kept for rollback (${RELEASE})`,
      `livepatch_cmdline_2: installed for ${RELEASE}`,
      'livepatch_cmdline_2: loaded, transition complete',
      'livepatch_cmdline_1: version 1 of stream cmdline, replaced by version 2 (livepatch_cmdline_2): unloading it',
      'livepatch_cmdline_1: module removed',
    ];
    const at = steps.map((step) => upgrade.stdout.indexOf(step));
    expect(
      at.every((i) => i >= 0),
      upgrade.stdout,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(upgrade.stdout).not.toContain('uninstalled');
    expect(await applied()).toEqual(['livepatch_cmdline_2']);
    expect(await loaded()).toEqual(['livepatch_cmdline_2']);
    for (const release of [RELEASE, OTHER]) {
      expect(await files(join(machine.store, release))).toEqual(['livepatch_cmdline_2.ko']);
      expect(await files(join(machine.store, '.kept', release))).toEqual(['livepatch_cmdline_1.ko']);
    }
    // dpkg took the old version's files away; the kept build is the loader's copy.
    expect(await files(join(packageRoot(), 'livepatch-cmdline', RELEASE))).toEqual(['livepatch_cmdline_2.ko']);

    const rollback = await machine.ctl(['rollback', 'cmdline']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await applied()).toEqual(['livepatch_cmdline_1']);

    // Removing the package takes away the rolled-back build (not the package's own) and the kept one.
    const remove = await dpkgRemove(await controlOf(v2), 'livepatch-cmdline');
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stdout).toContain('livepatch_cmdline_1: module removed');
    expect(await applied()).toEqual([]);
    expect(await loaded()).toEqual([]);
    expect(await files(machine.store)).toEqual(['.crash-guard', '.packages']);
    expect(await files(join(machine.store, '.packages'))).toEqual([]);
  }, 120_000);

  it('a downgrade (apt install PACKAGE=1) works as an upgrade: version 1 applied, version 2 kept', async () => {
    const v1 = await packageOf('livepatch-down', 1, 'down');
    const v2 = await packageOf('livepatch-down', 2, 'down');
    expect((await dpkgInstall(v1, 'livepatch-down')).code).toBe(0);
    expect((await dpkgInstall(v2, 'livepatch-down', await controlOf(v1))).code).toBe(0);
    const downgrade = await dpkgInstall(v1, 'livepatch-down', await controlOf(v2));
    expect(downgrade.code, downgrade.stderr).toBe(0);
    expect(downgrade.stdout).toContain('livepatch_down_2: version 2 of stream down, replaced by version 1');
    expect(await applied()).toEqual(['livepatch_down_1']);
    expect(await files(join(machine.store, RELEASE))).toEqual(['livepatch_down_1.ko']);
    expect(await files(join(machine.store, '.kept', RELEASE))).toEqual(['livepatch_down_2.ko']);
  }, 120_000);
});

describe('a package outside any stream', () => {
  it("an upgrade's new module stacks, then the old one is unloaded; the removal unloads it", async () => {
    const v1 = await packageOf('livepatch-fix', 1);
    const v2 = await packageOf('livepatch-fix', 2);
    expect((await dpkgInstall(v1, 'livepatch-fix')).code).toBe(0);
    expect(await applied()).toEqual(['livepatch_fix_1']);
    const upgrade = await dpkgInstall(v2, 'livepatch-fix', await controlOf(v1));
    expect(upgrade.code, upgrade.stderr).toBe(0);
    const steps = [
      `livepatch_fix_2: installed for ${RELEASE}`,
      `livepatch_fix_1: uninstalled for ${RELEASE}`,
      'livepatch_fix_2: loaded, transition complete',
      'livepatch_fix_1: module removed',
    ];
    const at = steps.map((step) => upgrade.stdout.indexOf(step));
    expect(
      at.every((i) => i >= 0),
      upgrade.stdout,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(await applied()).toEqual(['livepatch_fix_2']);
    expect(existsSync(join(machine.store, '.kept'))).toBe(false);
    const remove = await dpkgRemove(await controlOf(v2), 'livepatch-fix');
    expect(remove.code, remove.stderr).toBe(0);
    expect(await applied()).toEqual([]);
    expect(await files(join(machine.store, RELEASE))).toEqual([]);
  }, 120_000);

  it('in a kernel without livepatch support it installs into the store and does not load', async () => {
    await rm(join(machine.sysfs, 'kernel/livepatch'), { recursive: true });
    const install = await dpkgInstall(await packageOf('livepatch-nolp', 1), 'livepatch-nolp');
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('livepatch-nolp: the running kernel has no /sys/kernel/livepatch: not loading');
    expect(await files(join(machine.store, RELEASE))).toEqual(['livepatch_nolp_1.ko']);
  });
});
