import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPLACE_KEY, STREAM_KEY, STREAM_VERSION_KEY } from '../../../src/kernel/stream-facts.js';
import { RELEASE, useFakeMachine } from './fake-machine.js';

// Streams in tsbuild-patch-ctl, against the fake sysfs (fake-machine.ts): the build of a stream
// replaces the stream's other build, builds of several streams and patches outside any stack,
// and an atomic-replace module that would disable a patch of another stream is refused (exit 6)
// with both named, when loaded and when installed.
const machine = useFakeMachine();
const { ctl, fakeModule, calls, klp } = machine;

/** Version VERSION of stream STREAM: livepatch-STREAM-VERSION, stacking unless REPLACE. */
const build = (stream: string, version: number, options: { replace?: boolean; funcs?: string } = {}) =>
  fakeModule(`livepatch-${stream}-${version}`, {
    [STREAM_KEY]: stream,
    [STREAM_VERSION_KEY]: String(version),
    replace: options.replace ? '1' : '0',
    ...(options.funcs ? { funcs: options.funcs } : {}),
  });
/** A patch outside any stream that stacks. */
const stacked = (name: string) => fakeModule(name, { replace: '0', funcs: `vmlinux:${name}_f,1` });
const applied = async () =>
  (await ctl(['list'])).stdout
    .split('\n')
    .filter((l) => / \[enabled\]$/.test(l))
    .map((l) => l.trim().replace(' [enabled]', ''));

describe('tsbuild-patch-ctl: streams', () => {
  it('uses the .modinfo keys the tool writes (its shell copy)', async () => {
    const script = await readFile(join(import.meta.dirname, '../../../runtime/ctl/streams.sh'), 'utf8');
    for (const [name, key] of Object.entries({ REPLACE_KEY, STREAM_KEY, STREAM_VERSION_KEY }))
      expect(script).toContain(`\n${name}=${key}\n`);
  });

  it('stacks two streams and a patch outside any; a new build of one stream replaces only its own', async () => {
    const a1 = await build('a', 1);
    const b1 = await build('b', 1, { funcs: 'vmlinux:b_f,1' });
    const x = await stacked('livepatch-x');
    for (const ko of [a1, b1, x]) expect((await ctl(['load', ko])).code).toBe(0);
    expect(await applied()).toEqual(['livepatch_a_1', 'livepatch_b_1', 'livepatch_x']);

    const a2 = await build('a', 2);
    const load = await ctl(['load', a2]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('livepatch_a_2: loaded, transition complete');
    expect(load.stdout).toContain(
      'livepatch_a_1: version 1 of stream a, replaced by version 2 (livepatch_a_2): unloading it',
    );
    expect(load.stdout).toContain('livepatch_a_1: module removed');
    expect(await applied()).toEqual(['livepatch_a_2', 'livepatch_b_1', 'livepatch_x']);
    expect(existsSync(join(machine.sysfs, 'module/livepatch_a_1'))).toBe(false);
    // The new build was applied before the old one was disabled: insmod, then the old one's rmmod.
    expect(await calls()).toEqual([
      `insmod ${a1}`,
      `insmod ${b1}`,
      `insmod ${x}`,
      `insmod ${a2}`,
      'rmmod livepatch_a_1',
    ]);
  });

  it("says so (exit 3) when the stream's other build does not go: both stay applied, the new one on top", async () => {
    // The old build's reverse transition never ends (a task that never switches back).
    expect((await ctl(['load', await build('a', 1)], { FAKE_REVERSE: 'stuck' })).code).toBe(0);
    const load = await ctl(['load', '--timeout', '1', await build('a', 2)]);
    expect(load.code).toBe(3);
    expect(load.stdout).toContain('livepatch_a_2: loaded, transition complete');
    expect(load.stderr).toContain(
      'livepatch_a_1: still loaded under livepatch_a_2; remove it with: tsbuild-patch-ctl unload livepatch_a_1',
    );
    expect(existsSync(klp('livepatch_a_2'))).toBe(true);
    expect(existsSync(join(machine.sysfs, 'module/livepatch_a_1'))).toBe(true);
  });

  it("refuses an atomic-replace build of another stream while a stream's patch and one outside any are applied, naming them all", async () => {
    expect((await ctl(['load', await build('a', 1)])).code).toBe(0);
    expect((await ctl(['load', await stacked('livepatch-x')])).code).toBe(0);
    const solo = await build('solo', 1, { replace: true });
    const refused = await ctl(['load', solo]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(
      'livepatch_solo_1 (stream solo, version 1) uses atomic replace: loaded now, it would disable livepatch_a_1 (stream a, version 1), livepatch_x (outside any stream): refused',
    );
    expect(refused.stderr).toContain('build stream solo without --replace');
    expect(await calls()).not.toContain(`insmod ${solo}`);
    expect(await applied()).toEqual(['livepatch_a_1', 'livepatch_x']);
  });

  it('refuses an atomic-replace module outside any stream over another patch, and takes an older module without the flag for one', async () => {
    expect((await ctl(['load', await stacked('livepatch-x')])).code).toBe(0);
    const plain = await fakeModule('livepatch-fix-2');
    const refused = await ctl(['load', plain]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(
      'livepatch_fix_2 (outside any stream) uses atomic replace: loaded now, it would disable livepatch_x (outside any stream): refused',
    );
    const older = await fakeModule('livepatch-old', { tsbuild_patch_replace: '' });
    const again = await ctl(['load', older]);
    expect(again.code).toBe(6);
    expect(again.stderr).toContain(
      'livepatch_old (outside any stream) records no atomic-replace flag (built by an older tsbuild-patch): taken to use atomic replace: loaded now, it would disable livepatch_x',
    );
    // Alone, it loads.
    expect((await ctl(['unload', 'livepatch_x'])).code).toBe(0);
    expect((await ctl(['load', older])).code).toBe(0);
  });

  it('names a patch loaded some other way as of an unknown stream', async () => {
    // insmod by hand: no record, no file in the store.
    const other = await stacked('livepatch-by-hand');
    const bin = join(import.meta.dirname, 'fake-bin');
    await execa('sh', [join(bin, 'insmod'), other], {
      env: {
        PATH: `${bin}:${process.env['PATH']}`,
        TSBP_SYSFS: machine.sysfs,
        TSBP_STORE: machine.store,
        FAKE_LOG: join(machine.root, 'calls.log'),
      },
    });
    const refused = await ctl(['load', await build('solo', 1, { replace: true })]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('livepatch_by_hand (not loaded by tsbuild-patch-ctl: its stream is unknown)');
  });

  it('an atomic-replace stream replaces its own build in one transition (the kernel disables the old one)', async () => {
    const v1 = await build('solo', 1, { replace: true });
    const v2 = await build('solo', 2, { replace: true });
    expect((await ctl(['load', v1])).code).toBe(0);
    const load = await ctl(['load', v2]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('livepatch_solo_1: replaced by livepatch_solo_2, module removed');
    expect(load.stdout).not.toContain('unloading it');
    expect(await applied()).toEqual(['livepatch_solo_2']);
  });

  it("knows the stream of a build loaded before its record (an older loader) from the store's file", async () => {
    const v1 = await build('a', 1);
    expect((await ctl(['install', v1])).code).toBe(0);
    expect((await ctl(['load', join(machine.store, RELEASE, 'livepatch_a_1.ko')])).code).toBe(0);
    await rm(join(machine.run, 'tsbuild-patch'), { recursive: true });
    expect((await ctl(['install', await build('a', 2)])).code).toBe(0);
    const load = await ctl(['load', join(machine.store, RELEASE, 'livepatch_a_2.ko')]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('livepatch_a_1: version 1 of stream a, replaced by version 2');
    expect(existsSync(klp('livepatch_a_1'))).toBe(false);
  });

  it('refuses to install an atomic-replace module for a release whose store holds another stream; load-installed loads atomic-replace modules first', async () => {
    expect((await ctl(['install', await stacked('livepatch-x')])).code).toBe(0);
    const solo = await build('solo', 1, { replace: true });
    const refused = await ctl(['install', solo]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(
      `livepatch_solo_1 (stream solo, version 1) uses atomic replace: installed for ${RELEASE} (loaded at every boot), it would disable livepatch_x (outside any stream): refused`,
    );
    expect(existsSync(join(machine.store, RELEASE, 'livepatch_solo_1.ko'))).toBe(false);

    // A stacking module installed after an atomic-replace one: the unit loads the latter first.
    await ctl(['uninstall', 'livepatch_x']);
    expect((await ctl(['install', solo])).code).toBe(0);
    expect((await ctl(['install', await stacked('livepatch-a-stack')])).code).toBe(0);
    const boot = await ctl(['load-installed']);
    expect(boot.code, boot.stderr).toBe(0);
    expect(await calls()).toEqual([
      `insmod ${join(machine.store, RELEASE, 'livepatch_solo_1.ko')}`,
      `insmod ${join(machine.store, RELEASE, 'livepatch_a_stack.ko')}`,
    ]);
    expect(await applied()).toEqual(['livepatch_a_stack', 'livepatch_solo_1']);
  });
});
