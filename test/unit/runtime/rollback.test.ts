import { existsSync } from 'node:fs';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_KEY, STREAM_VERSION_KEY } from '../../../src/kernel/stream-facts.js';
import { RELEASE, useFakeMachine } from './fake-machine.js';

// The builds of a stream kept for rollback, and rollback itself, in tsbuild-patch-ctl against the
// fake sysfs and store (fake-machine.ts): install keeps the build a new one takes the place of
// (one a stream and release), rollback loads it (it replaces the newer build) and makes every
// release's store load it at boot until the next upgrade; remove-stream takes every build away.
const machine = useFakeMachine();
const { ctl, fakeModule, calls } = machine;
const OTHER = '6.1.0-50-amd64';
const SECOND_BOOT = '0b5a8c6e-0000-4000-8000-000000000002';

const build = (version: number, release = RELEASE, stream = 'cmdline') =>
  fakeModule(`livepatch-${stream}-${version}${release === RELEASE ? '' : '-other'}`, {
    name: `livepatch-${stream}-${version}`,
    vermagic: `${release} SMP preempt mod_unload modversions `,
    [STREAM_KEY]: stream,
    [STREAM_VERSION_KEY]: String(version),
    replace: '0',
  });
/** The module files of DIR (a release's store or kept builds), by name. */
const files = async (dir: string) =>
  existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.ko')).sort() : [];
const store = (release = RELEASE) => files(join(machine.store, release));
const kept = (release = RELEASE) => files(join(machine.store, '.kept', release));
const applied = async () =>
  (await ctl(['list'])).stdout
    .split('\n')
    .filter((l) => / \[enabled\]$/.test(l))
    .map((l) => l.trim().replace(' [enabled]', ''));

/** What a package upgrade's postinst does: install the build for each release, load the running one's. */
async function upgrade(version: number): Promise<void> {
  for (const [release, ko] of [
    [RELEASE, await build(version)],
    [OTHER, await build(version, OTHER)],
  ] as const) {
    const install = await ctl(['install', '--release', release, ko]);
    expect(install.code, install.stderr).toBe(0);
  }
  const load = await ctl(['load', join(machine.store, RELEASE, `livepatch_cmdline_${version}.ko`)]);
  expect(load.code, load.stderr).toBe(0);
}

describe('tsbuild-patch-ctl: builds kept for rollback', () => {
  it('install keeps the build a new one replaces, one a stream and release, and list shows both', async () => {
    await upgrade(1);
    expect(await kept()).toEqual([]);
    await upgrade(2);
    expect(await store()).toEqual(['livepatch_cmdline_2.ko']);
    expect(await kept()).toEqual(['livepatch_cmdline_1.ko']);
    expect(await kept(OTHER)).toEqual(['livepatch_cmdline_1.ko']);
    await upgrade(3);
    expect(await store()).toEqual(['livepatch_cmdline_3.ko']);
    expect(await kept()).toEqual(['livepatch_cmdline_2.ko']);
    const list = await ctl(['list']);
    expect(list.stdout).toContain(
      `Streams (the build loaded at boot; 'tsbuild-patch-ctl rollback STREAM' loads the one kept):\n  ${OTHER}: cmdline version 3, version 2 kept for rollback\n  ${RELEASE} (running): cmdline version 3, version 2 kept for rollback\n`,
    );
    expect(await applied()).toEqual(['livepatch_cmdline_3']);
  });

  it('a build of another stream, or outside any, leaves the kept builds alone', async () => {
    await upgrade(1);
    await upgrade(2);
    expect((await ctl(['install', await build(1, RELEASE, 'other')])).code).toBe(0);
    expect((await ctl(['install', await fakeModule('livepatch-x', { replace: '0' })])).code).toBe(0);
    expect(await store()).toEqual(['livepatch_cmdline_2.ko', 'livepatch_other_1.ko', 'livepatch_x.ko']);
    expect(await kept()).toEqual(['livepatch_cmdline_1.ko']);
  });
});

describe('tsbuild-patch-ctl rollback', () => {
  it('loads the kept build, which replaces the newer one; every store loads it at boot until the next upgrade', async () => {
    await upgrade(1);
    await upgrade(2);
    const rollback = await ctl(['rollback', 'cmdline']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain('cmdline: rolling back from version 2 to version 1');
    expect(rollback.stdout).toContain('livepatch_cmdline_1: loaded, transition complete');
    expect(rollback.stdout).toContain('livepatch_cmdline_2: version 2 of stream cmdline, replaced by version 1');
    expect(rollback.stdout).toContain(
      `livepatch_cmdline_1: installed for ${RELEASE} again, in place of livepatch_cmdline_2 (kept until the next upgrade of stream cmdline)`,
    );
    expect(await applied()).toEqual(['livepatch_cmdline_1']);
    expect(existsSync(join(machine.sysfs, 'module/livepatch_cmdline_2'))).toBe(false);
    for (const release of [RELEASE, OTHER]) {
      expect(await store(release)).toEqual(['livepatch_cmdline_1.ko']);
      expect(await kept(release)).toEqual(['livepatch_cmdline_2.ko']);
    }
    expect((await ctl(['list'])).stdout).toContain(
      `  ${RELEASE} (running): cmdline version 1, rolled back from version 2\n`,
    );

    // Once is enough: the kept build is the newer one now.
    const again = await ctl(['rollback', 'cmdline']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `cmdline: already rolled back to version 1 for ${RELEASE} (version 2 is kept; the next upgrade of the stream replaces both)`,
    );

    // A clean reboot: the unit loads the rolled-back build.
    expect((await ctl(['clean-shutdown'])).code).toBe(0);
    await machine.boot(SECOND_BOOT);
    const before = (await calls()).length;
    expect((await ctl(['load-installed'])).code).toBe(0);
    expect((await calls()).slice(before)).toEqual([`insmod ${join(machine.store, RELEASE, 'livepatch_cmdline_1.ko')}`]);

    // The next upgrade: the build it replaces (the rolled-back one) is the one kept.
    await upgrade(3);
    expect(await store()).toEqual(['livepatch_cmdline_3.ko']);
    expect(await kept()).toEqual(['livepatch_cmdline_1.ko']);
    expect(await applied()).toEqual(['livepatch_cmdline_3']);
  });

  it('says why when there is nothing to roll back to', async () => {
    const none = await ctl(['rollback', 'cmdline']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`cmdline: no build of this stream is installed for ${RELEASE}`);
    await upgrade(1);
    const first = await ctl(['rollback', 'cmdline']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(
      `cmdline: no earlier build is kept for ${RELEASE} (one is kept when an upgrade replaces it)`,
    );
    expect((await ctl(['rollback', 'Bad_Name'])).code).toBe(2);
    expect(await applied()).toEqual(['livepatch_cmdline_1']);
  });

  it('changes nothing in the store when the kept build does not load', async () => {
    await upgrade(1);
    await upgrade(2);
    // The kept build fails to load (as a module the kernel refuses would).
    const failing = await fakeModule('livepatch-cmdline-1-failing', {
      name: 'livepatch-cmdline-1',
      [STREAM_KEY]: 'cmdline',
      [STREAM_VERSION_KEY]: '1',
      replace: '0',
      fail: '1',
    });
    await copyFile(failing, join(machine.store, '.kept', RELEASE, 'livepatch_cmdline_1.ko'));
    const rollback = await ctl(['rollback', 'cmdline']);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toContain('insmod failed');
    expect(await store()).toEqual(['livepatch_cmdline_2.ko']);
    expect(await kept()).toEqual(['livepatch_cmdline_1.ko']);
    expect(await applied()).toEqual(['livepatch_cmdline_2']);
  });
});

describe('tsbuild-patch-ctl remove-stream', () => {
  it("unloads the stream's build and takes every build of it out of every release's store and kept builds", async () => {
    await upgrade(1);
    await upgrade(2);
    expect((await ctl(['rollback', 'cmdline'])).code).toBe(0);
    const other = await fakeModule('livepatch-x', { replace: '0', funcs: 'vmlinux:x_f,1' });
    expect((await ctl(['install', other])).code).toBe(0);
    expect((await ctl(['load', other])).code).toBe(0);
    const removed = await ctl(['remove-stream', 'cmdline']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('livepatch_cmdline_1: module removed');
    expect(removed.stdout).toContain(`livepatch_cmdline_1: uninstalled for ${OTHER}`);
    expect(removed.stdout).toContain(`livepatch_cmdline_2: version 2 of stream cmdline no longer kept for ${RELEASE}`);
    expect(await applied()).toEqual(['livepatch_x']);
    expect(await store()).toEqual(['livepatch_x.ko']);
    expect(await store(OTHER)).toEqual([]);
    expect(existsSync(join(machine.store, '.kept'))).toBe(false);
    // Nothing left of it: removing it again is no error.
    expect((await ctl(['remove-stream', 'cmdline'])).code).toBe(0);
  });
});
