import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_GUARD_UNITS } from '../../../src/deploy/package/layout.js';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { fakeLivepatchModule } from './fake-livepatch.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAINTAINER = 'Test <test@example.org>';
let tmp: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(async () => tmp.cleanup());

const field = async (deb: string, name: string) => String((await execa('dpkg-deb', ['-f', deb, name])).stdout);
const contents = async (deb: string) =>
  String((await execa('dpkg-deb', ['-c', deb])).stdout)
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '));

describe('tsbuild-patch package', () => {
  it('one package for the modules of one patch, one per kernel release, with the metadata apt shows', async () => {
    const objects = { vmlinux: [{ name: 'cmdline_proc_show' }], binfmt_misc: [{ name: 'bm_status_read' }] };
    const a = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-fix-2',
      release: '6.1.0-57-amd64',
      patches: ['fix.patch'],
      objects,
      replace: false,
    });
    const b = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-fix-2',
      release: '6.1.0-50-amd64',
      patches: ['fix.patch'],
      objects,
      replace: false,
    });
    const out = join(tmp.path, 'out');
    const built = await buildPatchPackage({ modules: [a, b], version: '2', maintainer: MAINTAINER, outputDir: out });
    expect(built.path).toBe(join(out, 'livepatch-fix_2_amd64.deb'));
    expect(built.warnings).toEqual([]);
    expect(await field(built.path, 'Package')).toBe('livepatch-fix');
    expect(await field(built.path, 'Version')).toBe('2');
    expect(await field(built.path, 'Architecture')).toBe('amd64');
    expect(await field(built.path, 'Maintainer')).toBe(MAINTAINER);
    expect(await field(built.path, 'Depends')).toBe('tsbuild-patch-tools (>= 0.1.0), kmod');
    expect(await field(built.path, 'X-Kernel-Releases')).toBe('6.1.0-50-amd64 6.1.0-57-amd64');
    expect(await field(built.path, 'X-Livepatch-Functions')).toBe('cmdline_proc_show bm_status_read');
    expect(await field(built.path, 'X-Livepatch-Modules')).toBe('livepatch_fix_2');
    const description = await field(built.path, 'Description');
    expect(description.split('\n')[0]).toBe('livepatch fix.patch for Linux 6.1.0-50-amd64, 6.1.0-57-amd64');
    expect(description).toContain('Livepatch modules built by tsbuild-patch from: fix.patch.');
    expect(description).toContain(
      '   6.1.0-57-amd64: livepatch_fix_2, no atomic replace\n     vmlinux: cmdline_proc_show\n     binfmt_misc: bm_status_read',
    );
    expect(Number(await field(built.path, 'Installed-Size'))).toBeGreaterThan(0);
    expect(await contents(built.path)).toEqual(
      expect.arrayContaining([
        './usr/lib/tsbuild-patch/packages/livepatch-fix/6.1.0-50-amd64/livepatch_fix_2.ko',
        './usr/lib/tsbuild-patch/packages/livepatch-fix/6.1.0-57-amd64/livepatch_fix_2.ko',
      ]),
    );
    const info = String((await execa('dpkg-deb', ['-I', built.path])).stdout);
    expect(info).toMatch(/postinst/);
    expect(info).toMatch(/prerm/);
    const listing = String((await execa('dpkg-deb', ['-c', built.path])).stdout);
    expect(listing.split('\n')[0]).toMatch(/^drwxr-xr-x root\/root/);
    // The maintainer scripts are POSIX shell.
    const scripts = join(tmp.path, 'control');
    await execa('dpkg-deb', ['-e', built.path, scripts]);
    for (const script of ['postinst', 'prerm']) await execa('dash', ['-n', join(scripts, script)]);
    const postinst = String((await execa('cat', [join(scripts, 'postinst')])).stdout);
    expect(postinst).toContain('CTL=${TSBP_CTL:-/usr/sbin/tsbuild-patch-ctl}');
    expect(postinst).toContain('STORE=${TSBP_STORE:-/var/lib/tsbuild-patch}');
    expect(postinst).toContain('$CTL install --release "$release" "$ko"');
    expect(postinst).toContain('$CTL load "$STORE/$running/$(basename "$ko")"');
  });

  it('the same modules make the same .deb (so publishing it again is a no-op)', async () => {
    const a = await fakeLivepatchModule(tmp.path, { name: 'livepatch-same-1', release: '6.1.0-57-amd64' });
    const first = await buildPatchPackage({
      modules: [a],
      version: '1',
      maintainer: MAINTAINER,
      outputDir: join(tmp.path, 'same-a'),
    });
    const second = await buildPatchPackage({
      modules: [a],
      version: '1',
      maintainer: MAINTAINER,
      outputDir: join(tmp.path, 'same-b'),
    });
    expect(await readFile(second.path)).toEqual(await readFile(first.path));
    const toolsA = await buildToolsPackage(join(tmp.path, 'same-a'), MAINTAINER);
    const toolsB = await buildToolsPackage(join(tmp.path, 'same-b'), MAINTAINER);
    expect(await readFile(toolsB)).toEqual(await readFile(toolsA));
  });

  it('refuses two modules for one release, and bad names and versions', async () => {
    const a = await fakeLivepatchModule(tmp.path, { name: 'livepatch-x', release: '6.1.0-57-amd64' });
    const b = await fakeLivepatchModule(tmp.path, { name: 'livepatch-y', release: '6.1.0-57-amd64' });
    const out = join(tmp.path, 'refused');
    await expect(
      buildPatchPackage({ modules: [a, b], version: '1', maintainer: MAINTAINER, outputDir: out }),
    ).rejects.toThrow(/two modules for kernel 6.1.0-57-amd64/);
    await expect(
      buildPatchPackage({ modules: [a], version: 'v1', maintainer: MAINTAINER, outputDir: out }),
    ).rejects.toThrow(/not a Debian version/);
    await expect(
      buildPatchPackage({ modules: [a], name: 'Bad_Name', version: '1', maintainer: MAINTAINER, outputDir: out }),
    ).rejects.toThrow(/not a Debian package name/);
  });

  it('warns about a module with atomic replace outside a stream, not about one that stacks', async () => {
    const replacing = await fakeLivepatchModule(tmp.path, { name: 'livepatch-replacing', release: '6.1.0-57-amd64' });
    const built = await buildPatchPackage({
      modules: [replacing],
      version: '1',
      maintainer: MAINTAINER,
      outputDir: join(tmp.path, 'nr'),
    });
    expect(built.warnings.join('\n')).toContain(
      'uses atomic replace outside a stream: tsbuild-patch-ctl loads it only where no other livepatch is loaded',
    );
    const stacking = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-stacking',
      release: '6.1.0-57-amd64',
      replace: false,
    });
    const quiet = await buildPatchPackage({
      modules: [stacking],
      version: '1',
      maintainer: MAINTAINER,
      outputDir: join(tmp.path, 'nr'),
    });
    expect(quiet.warnings).toEqual([]);
  });

  it("one package per stream build: its name, version and fields from the modules, a removal that takes the stream's every build", async () => {
    const stream = { name: 'cve-fixes', version: 3 };
    const a = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-cve-fixes-3',
      release: '6.1.0-57-amd64',
      stream,
      replace: false,
    });
    const b = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-cve-fixes-3',
      release: '6.1.0-50-amd64',
      stream,
      replace: false,
    });
    const out = join(tmp.path, 'stream');
    const built = await buildPatchPackage({ modules: [a, b], maintainer: MAINTAINER, outputDir: out });
    expect(built.path).toBe(join(out, 'livepatch-cve-fixes_3_amd64.deb'));
    expect(built.stream).toEqual(stream);
    expect(built.warnings).toEqual([]);
    expect(await field(built.path, 'X-Livepatch-Stream')).toBe('cve-fixes');
    expect(await field(built.path, 'X-Livepatch-Stream-Version')).toBe('3');
    expect(await field(built.path, 'Description')).toContain('Version 3 of the livepatch stream cve-fixes');
    const scripts = join(tmp.path, 'stream-control');
    await execa('dpkg-deb', ['-e', built.path, scripts]);
    const prerm = await readFile(join(scripts, 'prerm'), 'utf8');
    expect(prerm).toContain('    $CTL remove-stream cve-fixes\n');
    await execa('dash', ['-n', join(scripts, 'prerm')]);

    // A stream's build with another module, or without a version outside a stream, is refused.
    const other = await fakeLivepatchModule(tmp.path, { name: 'livepatch-x-1', release: '6.1.0-49-amd64' });
    await expect(
      buildPatchPackage({ modules: [a, other], version: '3', maintainer: MAINTAINER, outputDir: out }),
    ).rejects.toThrow(
      /one package is one build of one stream: .*\(stream cve-fixes, version 3\) and .*\(outside any stream\)/,
    );
    await expect(buildPatchPackage({ modules: [other], maintainer: MAINTAINER, outputDir: out })).rejects.toThrow(
      '--package-version is needed: the modules are not a build of a stream',
    );
  });

  it('the tools package ships the loader and the unit and enables the unit', async () => {
    const deb = await buildToolsPackage(join(tmp.path, 'tools'), MAINTAINER);
    expect(deb).toMatch(/tsbuild-patch-tools_0\.1\.0_all\.deb$/);
    expect(await field(deb, 'Depends')).toBe('kmod');
    const listing = String((await execa('dpkg-deb', ['-c', deb])).stdout);
    expect(listing).toMatch(/-rwxr-xr-x root\/root .* \.\/usr\/sbin\/tsbuild-patch-ctl/);
    expect(listing).toMatch(/-rw-r--r-- root\/root .* \.\/lib\/systemd\/system\/tsbuild-patch\.service/);
    // The crash guard's units (static: tsbuild-patch.service's Wants= starts them).
    for (const unit of CRASH_GUARD_UNITS)
      expect(listing.split('\n').filter((l) => l.endsWith(` ./lib/systemd/system/${unit}`))).toEqual([
        expect.stringMatching(/^-rw-r--r-- root\/root /),
      ]);
    const scripts = join(tmp.path, 'tools-control');
    await execa('dpkg-deb', ['-e', deb, scripts]);
    expect(String((await execa('cat', [join(scripts, 'postinst')])).stdout)).toContain(
      "deb-systemd-helper enable 'tsbuild-patch.service'",
    );
  });

  it('the command line writes both packages and reports them as JSON', async () => {
    const a = await fakeLivepatchModule(tmp.path, { name: 'livepatch-cli-1', release: '6.1.0-57-amd64' });
    const out = join(tmp.path, 'cli');
    const result = await execa(
      join(ROOT, 'node_modules/.bin/tsx'),
      [join(ROOT, 'src/cli/main.ts'), 'package', a, '--package-version', '1.0', '-o', out, '--json'],
      { reject: false },
    );
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(String(result.stdout));
    expect(json.package.name).toBe('livepatch-cli');
    expect(json.package.path).toBe(join(out, 'livepatch-cli_1.0_amd64.deb'));
    expect(json.package.modules[0].objects).toEqual([
      { object: 'vmlinux', functions: [{ name: 'cmdline_proc_show', sympos: 0 }] },
    ]);
    expect(json.tools).toBe(join(out, 'tsbuild-patch-tools_0.1.0_all.deb'));
  });
});
