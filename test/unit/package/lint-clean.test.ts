import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAINTAINER, resolveMaintainer } from '../../../src/deploy/package/maintainer.js';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { toolVersion } from '../../../src/util/tool-version.js';
import { fakeLivepatchModule } from '../deploy/fake-livepatch.js';

// The packages `tsbuild-patch package` writes, checked by Debian's lintian (no errors; its
// warnings are shown) and for what policy asks of every package: /usr/share/doc/<pkg>/copyright
// (DEP-5) and the changelog (gzip -9n), a Maintainer lintian accepts, the tool's version.
let tmp: { path: string; cleanup: () => Promise<void> };
let debs: { patch: string; nonNative: string; tools: string };
const NO_MAINTAINER_ENV = { PATH: process.env['PATH'] ?? '' };

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  // Many patched functions and two releases: the description's lines must be filled to 80 columns.
  const objects = {
    vmlinux: Array.from({ length: 14 }, (_, i) => ({ name: `a_rather_long_function_name_${i}` })),
    binfmt_misc: [{ name: 'bm_status_read', sympos: 2 }],
  };
  const spec = { name: 'livepatch-fix-2', patches: ['0001-fix-the-thing.patch', '0002-and-another.patch'], objects };
  const a = await fakeLivepatchModule(tmp.path, { ...spec, release: '6.1.0-57-amd64' });
  const b = await fakeLivepatchModule(tmp.path, { ...spec, release: '6.1.0-50-amd64' });
  const out = join(tmp.path, 'debs');
  // No --maintainer and no DEBEMAIL: the default has to pass lintian too.
  const patch = await buildPatchPackage({ modules: [a, b], version: '2', outputDir: out, env: NO_MAINTAINER_ENV });
  const nonNative = await buildPatchPackage({
    modules: [a],
    name: 'livepatch-other',
    version: '1.0-1',
    outputDir: out,
    env: { DEBFULLNAME: 'Ops Team', DEBEMAIL: 'ops@example.org' },
  });
  debs = { patch: patch.path, nonNative: nonNative.path, tools: await buildToolsPackage(out, undefined, {}) };
});
afterAll(async () => tmp?.cleanup());

const extract = async (deb: string) => {
  const root = join(tmp.path, 'x', deb.split('/').pop()!);
  await mkdir(root, { recursive: true });
  await execa('dpkg-deb', ['-x', deb, root]);
  return root;
};
const field = async (deb: string, name: string) => String((await execa('dpkg-deb', ['-f', deb, name])).stdout);

describe('lintian', () => {
  it('finds no errors in the generated packages (warnings shown)', { timeout: 180_000 }, async () => {
    const which = await execa('sh', ['-c', 'command -v lintian'], { reject: false });
    expect(which.exitCode, 'lintian is not installed: run scripts/install-deps.sh (apt-get install lintian)').toBe(0);
    const result = await execa(
      'lintian',
      ['--display-info', '--pedantic', '--tag-display-limit', '0', debs.patch, debs.nonNative, debs.tools],
      { reject: false, env: { LC_ALL: 'C.UTF-8' } },
    );
    const lines = String(result.stdout).split('\n').filter(Boolean);
    const tags = lines.filter((l) => /^[EWIPXO]: /.test(l));
    console.log(
      `lintian ${[debs.patch, debs.nonNative, debs.tools].map((d) => d.split('/').pop()).join(' ')}:\n${tags.join('\n') || '(nothing)'}`,
    );
    expect(tags.filter((l) => l.startsWith('E: '))).toEqual([]);
    // Exit status 2 is lintian failing to run; 1 is tags at or above its fail level (errors).
    expect(result.exitCode, String(result.stderr)).toBe(0);
    // What was fixed stays fixed (the remaining warnings are the X-* fields publish and apt users read).
    for (const fixed of [
      'no-copyright-file',
      'no-changelog',
      'bogus-mail-host',
      'root-in-contact',
      'copyright-without-copyright-notice',
      'extended-description-line-too-long',
      'synopsis-too-long',
      'no-manual-page',
      'command-with-path-in-maintainer-script',
      'systemd-service-file-missing-documentation-key',
      'wrong-name-for-changelog-of-native-package',
      'wrong-name-for-debian-changelog-file',
      'changelog-not-compressed-with-max-compression',
    ])
      expect(tags.filter((t) => t.includes(` ${fixed}`))).toEqual([]);
  });
});

describe('what every package carries', () => {
  it('a DEP-5 copyright file and a gzip -9n changelog named as for a native or non-native version', async () => {
    for (const [deb, pkg, version, changelog] of [
      [debs.patch, 'livepatch-fix', '2', 'changelog.gz'],
      [debs.nonNative, 'livepatch-other', '1.0-1', 'changelog.Debian.gz'],
      [debs.tools, 'tsbuild-patch-tools', toolVersion(), 'changelog.gz'],
    ] as const) {
      const root = await extract(deb);
      const doc = join(root, 'usr/share/doc', pkg);
      const copyright = await readFile(join(doc, 'copyright'), 'utf8');
      expect(copyright).toMatch(
        /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\n/,
      );
      expect(copyright).toMatch(/^Files: \*$/m);
      expect(copyright).toMatch(/^Copyright: \d{4}/m);
      expect(copyright).toMatch(/^License: GPL-2\n( .*\n)*? .*\/usr\/share\/common-licenses\/GPL-2\.$/m);
      const gz = await readFile(join(doc, changelog));
      // gzip -9n's header: no time stamp (bytes 4-7), maximum compression (XFL 2), no file name (FLG 0).
      expect([gz[0], gz[1], gz[3], gz.readUInt32LE(4), gz[8]]).toEqual([0x1f, 0x8b, 0, 0, 2]);
      const text = gunzipSync(gz).toString('utf8');
      const maintainer = await field(deb, 'Maintainer');
      expect(text.split('\n')[0]).toBe(`${pkg} (${version}) unstable; urgency=medium`);
      expect(text).toMatch(
        new RegExp(
          `^ -- ${maintainer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  \\w{3}, \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000$`,
          'm',
        ),
      );
      expect(text).toContain(`tsbuild-patch ${toolVersion()}`);
    }
  });

  it('a Maintainer from the environment as dch takes it, else a default lintian accepts', async () => {
    expect(await field(debs.patch, 'Maintainer')).toBe(DEFAULT_MAINTAINER);
    expect(await field(debs.tools, 'Maintainer')).toBe(DEFAULT_MAINTAINER);
    expect(await field(debs.nonNative, 'Maintainer')).toBe('Ops Team <ops@example.org>');
    expect(DEFAULT_MAINTAINER).not.toMatch(/root|localhost/);
    expect(resolveMaintainer('A B <a@b.example>', { DEBEMAIL: 'x@y.example' })).toEqual({
      value: 'A B <a@b.example>',
      source: 'option',
    });
    expect(resolveMaintainer(undefined, { DEBEMAIL: 'Jane Doe <jane@example.org>' }).value).toBe(
      'Jane Doe <jane@example.org>',
    );
    expect(resolveMaintainer(undefined, { DEBEMAIL: 'Jane Doe <jane@example.org>', DEBFULLNAME: 'J. Doe' }).value).toBe(
      'J. Doe <jane@example.org>',
    );
    expect(resolveMaintainer(undefined, { NAME: 'N', EMAIL: 'n@example.org' }).value).toBe('N <n@example.org>');
    expect(resolveMaintainer(undefined, {})).toEqual({ value: DEFAULT_MAINTAINER, source: 'default' });
    expect(() => resolveMaintainer('root', {})).toThrow(/not of the form/);
    expect(() => resolveMaintainer('x <root@localhost>', {})).toThrow(/not of the form/);
  });

  it('a warning when the default Maintainer is used', async () => {
    const a = await fakeLivepatchModule(tmp.path, { name: 'livepatch-warn-1', release: '6.1.0-57-amd64' });
    const built = await buildPatchPackage({
      modules: [a],
      version: '1',
      outputDir: join(tmp.path, 'warn'),
      env: NO_MAINTAINER_ENV,
    });
    expect(built.warnings.join('\n')).toContain(`the Maintainer is ${DEFAULT_MAINTAINER}`);
  });

  it("the tools package: its version is the tool's (package.json), with the man page and the bash completion", async () => {
    expect(await field(debs.tools, 'Version')).toBe(toolVersion());
    expect(await field(debs.patch, 'Depends')).toBe(`tsbuild-patch-tools (>= ${toolVersion()}), kmod`);
    const root = await extract(debs.tools);
    const man = await readFile(join(root, 'usr/share/man/man8/tsbuild-patch-ctl.8.gz'));
    expect([man.readUInt32LE(4), man[8]]).toEqual([0, 2]);
    expect(gunzipSync(man).toString('utf8')).toBe(
      await readFile(new URL('../../../runtime/tsbuild-patch-ctl.8', import.meta.url), 'utf8'),
    );
    expect(await readFile(join(root, 'usr/share/bash-completion/completions/tsbuild-patch-ctl'), 'utf8')).toContain(
      'complete -F _tsbuild_patch_ctl tsbuild-patch-ctl',
    );
  });

  it('the version is written in package.json only, not in src/', async () => {
    const version = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')).version;
    const grep = await execa('grep', ['-rnF', `'${version}'`, 'src/'], {
      cwd: new URL('../../../', import.meta.url),
      reject: false,
    });
    expect(String(grep.stdout)).toBe('');
  });
});
