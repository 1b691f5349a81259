import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTL_PARTS_DIR, CTL_PATH } from '../../../src/deploy/package/layout.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { CTL, RELEASE, useFakeMachine } from '../runtime/fake-machine.js';

// tsbuild-patch-ctl is an entry script and the parts it sources (runtime/ctl/*.sh): the tools
// package built by the real dpkg-deb ships every part, and the loader installed from it (dpkg-deb
// -x into a scratch root) runs, against the fake machine the runtime tests use.
const PARTS = fileURLToPath(new URL('../../../runtime/ctl/', import.meta.url));
const MAINTAINER = 'Test <test@example.org>';
let tmp: { path: string; cleanup: () => Promise<void> };
let deb: string;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  deb = await buildToolsPackage(join(tmp.path, 'out'), MAINTAINER);
});
afterAll(async () => tmp?.cleanup());

const parts = async () => (await readdir(PARTS)).filter((f) => f.endsWith('.sh')).sort();

/** The tools package unpacked into a fresh scratch root. */
async function installed(name: string): Promise<{ ctl: string; parts: string }> {
  const root = join(tmp.path, name);
  await execa('dpkg-deb', ['-x', deb, root]);
  return { ctl: join(root, CTL_PATH), parts: join(root, CTL_PARTS_DIR) };
}

describe("the tools package's loader", () => {
  const machine = useFakeMachine();

  it('sources every part in runtime/ctl/, each checked first, and looks for them where the package puts them', async () => {
    const entry = await readFile(CTL, 'utf8');
    const sourced = [...entry.matchAll(/^\. "\$PARTS\/([a-z-]+\.sh)"$/gm)].map((m) => m[1]);
    expect(sourced.length).toBeGreaterThan(5);
    expect([...sourced].sort()).toEqual(await parts());
    const checked = /^for ctl_part in (.*); do$/m.exec(entry)![1]!.split(' ');
    expect(checked.map((p) => `${p}.sh`)).toEqual(sourced);
    // Its shell copy of the installed directory.
    expect(/\|\| PARTS=(\S+)$/m.exec(entry)?.[1]).toBe(CTL_PARTS_DIR);
  });

  it('is shipped with every part, mode 0644, by the real dpkg-deb', async () => {
    const listing = String((await execa('dpkg-deb', ['-c', deb])).stdout).split('\n');
    const shipped = listing
      .filter((l) => l.includes(` .${CTL_PARTS_DIR}/`) && !l.endsWith('/'))
      .map((l) => [l.split(/\s+/)[0], l.split('/').pop()]);
    expect(shipped).toEqual((await parts()).map((part) => ['-rw-r--r--', part]));
    const { parts: unpacked } = await installed('listing');
    for (const part of await parts())
      expect(await readFile(join(unpacked, part), 'utf8'), part).toBe(await readFile(join(PARTS, part), 'utf8'));
  });

  it('installed from the .deb, installs, loads and lists as the repository copy does', async () => {
    const { ctl, parts: installedParts } = await installed('run');
    const env = { TSBP_CTL_PARTS: installedParts };
    const ko = await machine.fakeModule('livepatch-fix', { replace: '0', funcs: 'vmlinux:cmdline_proc_show,1' });
    const install = await machine.exec(['dash', ctl, 'install', ko], env);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toBe(`tsbuild-patch-ctl: livepatch_fix: installed for ${RELEASE}`);
    const load = await machine.exec(['dash', ctl, 'load', ko], env);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain('livepatch_fix: loaded, transition complete');

    const list = await machine.exec(['dash', ctl, 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('  livepatch_fix [enabled]\n    vmlinux: cmdline_proc_show\n');
    expect(list.stdout).toContain(`  ${RELEASE} (running): livepatch_fix\n`);
    expect(list.stdout).toContain('Watched by the crash guard');
    expect(list).toEqual(await machine.ctl(['list']));
  });

  it('names a missing part and runs nothing (exit 1)', async () => {
    const { ctl, parts: installedParts } = await installed('missing');
    await rm(join(installedParts, 'streams.sh'));
    const ko = await machine.fakeModule('livepatch-fix');
    const load = await machine.exec(['dash', ctl, 'load', ko], { TSBP_CTL_PARTS: installedParts });
    expect(load).toEqual({
      code: 1,
      stdout: '',
      stderr: `tsbuild-patch-ctl: cannot read ${installedParts}/streams.sh: a part of this program is missing`,
    });
    expect(await machine.calls()).toEqual([]);
  });
});
