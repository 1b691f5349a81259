import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { TARGET_BUILD_ID_KEY, VMLINUX_BUILD_ID_KEY } from '../../../src/emit/built-against.js';
import { fileBuildId } from '../../../src/kernel/facts/build-id.js';
import { linkFakeKernel } from '../kernel/fake-kernel.js';
import { RELEASE, useFakeMachine } from './fake-machine.js';
import { buildIdNote, kernelNotes, noteBytes } from './fake-notes.js';

// tsbuild-patch-ctl load compares the build-ids a module records (.modinfo, written by the
// generated C: src/emit/built-against.ts) with the running kernel's (/sys/kernel/notes) and the
// loaded target modules' (/sys/module/NAME/notes/.note.gnu.build-id).
const machine = useFakeMachine();
const { ctl, fakeModule, calls } = machine;

const KERNEL_ID = '5d2f0c1e9a7b3c4d5e6f708192a3b4c5d6e7f801';
const OTHER_KERNEL_ID = '5d2f0c1e9a7b3c4d5e6f708192a3b4c5d6e7f802';
const BINFMT_ID = 'c0ffee00112233445566778899aabbccddeeff00';
const OTHER_BINFMT_ID = 'c0ffee00112233445566778899aabbccddeeff01';

async function runningKernel(notes: Buffer): Promise<void> {
  await writeFile(join(machine.sysfs, 'kernel/notes'), notes);
}

async function loadedModule(name: string, buildId: string): Promise<void> {
  await mkdir(join(machine.sysfs, 'module', name, 'notes'), { recursive: true });
  await writeFile(join(machine.sysfs, 'module', name, 'notes/.note.gnu.build-id'), noteBytes([buildIdNote(buildId)]));
}

const recording = (vmlinux: string, ...targets: string[]) => ({
  [VMLINUX_BUILD_ID_KEY]: vmlinux,
  // The fake modinfo prints every line of a key, as modinfo -F prints every value of a field.
  ...(targets.length > 0 ? { [TARGET_BUILD_ID_KEY]: targets.join(`\n${TARGET_BUILD_ID_KEY}=`) } : {}),
});

describe('tsbuild-patch-ctl load: the kernel identity', () => {
  it('loads a module built against the running kernel and the loaded target module', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    await loadedModule('binfmt_misc', BINFMT_ID);
    const ko = await fakeModule('livepatch-match', {
      ...recording(KERNEL_ID, `binfmt_misc:${BINFMT_ID}`),
      funcs: 'vmlinux:cmdline_proc_show,1 binfmt_misc:bm_status_read,1',
    });
    const load = await ctl(['load', ko]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('livepatch_match: loaded, transition complete');
    expect(load.stdout + load.stderr).not.toMatch(/build-id|refused/);
    expect(await calls()).toEqual([`insmod ${ko}`]);
  });

  it('refuses another build of the running release (same vermagic), exit 4, naming both ids', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    const ko = await fakeModule('livepatch-other-build', recording(OTHER_KERNEL_ID));
    const load = await ctl(['load', ko]);
    expect(load.code).toBe(4);
    expect(load.stderr).toContain(
      `livepatch_other_build: built against the kernel with build-id ${OTHER_KERNEL_ID}, but the running kernel's build-id is ${KERNEL_ID} (another build of ${RELEASE}): refused`,
    );
    expect(await calls()).toEqual([]);
  });

  it('refuses a module built against another build of a loaded target module, naming both ids', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    await loadedModule('binfmt_misc', OTHER_BINFMT_ID);
    const ko = await fakeModule('livepatch-binfmt', recording(KERNEL_ID, `binfmt_misc:${BINFMT_ID}`));
    const load = await ctl(['load', ko]);
    expect(load.code).toBe(4);
    expect(load.stderr).toContain(
      `livepatch_binfmt: built against module binfmt_misc with build-id ${BINFMT_ID}, but the loaded binfmt_misc's build-id is ${OTHER_BINFMT_ID}: refused`,
    );
    expect(await calls()).toEqual([]);
  });

  it('says that a target module that is not loaded cannot be checked, and loads', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    await loadedModule('ext4', OTHER_BINFMT_ID);
    const ko = await fakeModule(
      'livepatch-later',
      recording(KERNEL_ID, `ext4:${OTHER_BINFMT_ID}`, `minix:${BINFMT_ID}`),
    );
    const load = await ctl(['load', ko]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain(
      `livepatch_later: target module minix is not loaded: its build-id cannot be checked now (the module was built against ${BINFMT_ID}); if it is loaded later, the livepatch core patches it without this check`,
    );
    expect(load.stdout).not.toContain('ext4');
  });

  it('loads a module that records no build-id (an older tsbuild-patch), with a note', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    const ko = await fakeModule('livepatch-old');
    const load = await ctl(['load', ko]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain(
      'livepatch_old: the module records no build-id of the kernel it was built against (built by an older tsbuild-patch): only its vermagic is checked',
    );
    expect(load.stdout).toContain('livepatch_old: loaded, transition complete');
  });

  it('loads with a note when the kernel shows no build-id', async () => {
    await runningKernel(noteBytes([{ name: 'Xen', type: 6, desc: Buffer.from('linux\0') }]));
    const ko = await fakeModule('livepatch-unknown', recording(KERNEL_ID));
    const load = await ctl(['load', ko]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain(
      `the running kernel shows no build-id in ${machine.sysfs}/kernel/notes: cannot check that it is the build the module was built against (vmlinux build-id ${KERNEL_ID})`,
    );
  });

  it('load-installed refuses the same way (exit 4) and loads the others', async () => {
    await runningKernel(kernelNotes(KERNEL_ID));
    const wrong = await fakeModule('livepatch-a', { ...recording(OTHER_KERNEL_ID), replace: '0' });
    const right = await fakeModule('livepatch-b', { ...recording(KERNEL_ID), replace: '0' });
    expect((await ctl(['install', wrong])).code).toBe(0);
    expect((await ctl(['install', right])).code).toBe(0);
    const boot = await ctl(['load-installed']);
    expect(boot.code).toBe(4);
    expect(boot.stderr).toContain(`livepatch_a: built against the kernel with build-id ${OTHER_KERNEL_ID}`);
    expect(boot.stdout).toContain('livepatch_b: loaded, transition complete');
  });

  it("reads a real linker's build-id note as src/kernel/facts/build-id.ts does", async () => {
    const exe = await linkFakeKernel(join(machine.root, 'vmlinux'), { structs: {}, debugInfo: false });
    const notes = join(machine.root, 'notes');
    await execa('objcopy', ['-O', 'binary', '--only-section=.note.gnu.build-id', exe, notes]);
    const id = await fileBuildId(exe);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    await runningKernel(await readFile(notes));
    const ko = await fakeModule('livepatch-real-note', recording(id!));
    const load = await ctl(['load', ko]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout + load.stderr).not.toMatch(/build-id/);
    // And refused when one byte of the id differs.
    const off = await fakeModule(
      'livepatch-real-off',
      recording(`${id!.slice(0, -1)}${id!.endsWith('0') ? '1' : '0'}`),
    );
    expect((await ctl(['load', off])).code).toBe(4);
  });
});
