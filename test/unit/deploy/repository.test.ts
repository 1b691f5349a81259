import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatchPackage } from '../../../src/deploy/package/patch-package.js';
import { buildToolsPackage } from '../../../src/deploy/package/tools-package.js';
import { listSuite, promotePackages, publishPackages } from '../../../src/deploy/repository/repository.js';
import { silentLogger } from '../../../src/util/log.js';
import { fakeLivepatchModule } from './fake-livepatch.js';
import { aptOptionsFor } from '../../support/apt-repository.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cli = (args: string[]) =>
  execa(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), ...args], { reject: false });

let tmp: { path: string; cleanup: () => Promise<void> };
let v1: string;
let v2: string;
let tools: string;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  const out = join(tmp.path, 'debs');
  const m1 = await fakeLivepatchModule(tmp.path, { name: 'livepatch-fix-1', release: '6.1.0-57-amd64' });
  const m2 = await fakeLivepatchModule(tmp.path, { name: 'livepatch-fix-2', release: '6.1.0-57-amd64' });
  v1 = (await buildPatchPackage({ modules: [m1], version: '1', maintainer: 'T <t@example.org>', outputDir: out })).path;
  v2 = (await buildPatchPackage({ modules: [m2], version: '2', maintainer: 'T <t@example.org>', outputDir: out })).path;
  tools = await buildToolsPackage(out, 'T <t@example.org>');
});
afterAll(async () => tmp.cleanup());

/** apt on this machine, pointed at the repository only (its own lists and cache). */
async function aptAgainst(publicDir: string, suite: string, args: string[]) {
  const options = await aptOptionsFor(publicDir, suite, join(tmp.path, `apt-${suite}`));
  await execa('apt-get', [...options, 'update']);
  return String((await execa('apt-cache', [...options, ...args])).stdout);
}

describe('tsbuild-patch publish / promote (reprepro)', () => {
  it('publishes into testing with a generated key, apt verifies the signature, promote copies to stable', async () => {
    const repo = join(tmp.path, 'repo');
    const layout = await publishPackages(repo, [v1, tools], 'testing', { log: silentLogger });
    expect(await listSuite(repo, 'testing')).toEqual([
      { suite: 'testing', architecture: 'amd64', name: 'livepatch-fix', version: '1' },
      { suite: 'testing', architecture: 'amd64', name: 'tsbuild-patch-tools', version: '0.1.0' },
    ]);
    expect(await listSuite(repo, 'stable')).toEqual([]);
    const release = await readFile(join(layout.public, 'dists/testing/InRelease'), 'utf8');
    expect(release).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----/);
    expect(release).toContain('Origin: tsbuild-patch');
    expect(release).toContain('Suite: testing');
    // Signed by the exported key: gpgv accepts it with that key alone.
    await execa('gpgv', ['--keyring', layout.keyFile, join(layout.public, 'dists/testing/InRelease')]);
    // The private side stays out of what is served.
    const served = String((await execa('find', [layout.public])).stdout);
    expect(served).not.toMatch(/gnupg|private|\/db\/|\/conf\//);
    const policy = await aptAgainst(layout.public, 'testing', ['policy', 'livepatch-fix']);
    expect(policy).toMatch(/Candidate: 1/);

    // A new version goes to testing; stable keeps the old one until it is promoted.
    await publishPackages(repo, [v2], 'testing', { log: silentLogger });
    await promotePackages(repo, ['livepatch-fix'], 'testing', 'stable', { log: silentLogger });
    expect((await listSuite(repo, 'stable')).map((p) => `${p.name} ${p.version}`)).toEqual(['livepatch-fix 2']);
    const promoted = await promotePackages(repo, [], 'testing', 'stable', { log: silentLogger });
    expect(promoted.map((p) => p.name).sort()).toEqual(['livepatch-fix', 'tsbuild-patch-tools']);
    const stable = await aptAgainst(layout.public, 'stable', ['policy', 'livepatch-fix', 'tsbuild-patch-tools']);
    expect(stable).toMatch(/livepatch-fix:\n\s+Installed: \(none\)\n\s+Candidate: 2/);
    expect(stable).toMatch(/tsbuild-patch-tools:\n\s+Installed: \(none\)\n\s+Candidate: 0\.1\.0/);
  });

  it('refuses an unknown suite, a missing package and a repository that does not exist', async () => {
    const repo = join(tmp.path, 'repo2');
    await expect(publishPackages(repo, [v1], 'unstable', { log: silentLogger })).rejects.toThrow(
      /unknown suite "unstable"/,
    );
    await expect(publishPackages(repo, [join(tmp.path, 'nope.deb')], 'testing', { log: silentLogger })).rejects.toThrow(
      /no such file/,
    );
    await expect(
      promotePackages(join(tmp.path, 'none'), [], 'testing', 'stable', { log: silentLogger }),
    ).rejects.toThrow(/not a tsbuild-patch repository/);
    await publishPackages(repo, [v1], 'testing', { log: silentLogger });
    await expect(promotePackages(repo, ['other'], 'testing', 'stable', { log: silentLogger })).rejects.toThrow(
      /not in testing: other/,
    );
    // The same file again is a no-op; another build with the same version is refused clearly.
    await publishPackages(repo, [v1], 'testing', { log: silentLogger });
    const rebuilt = await fakeLivepatchModule(tmp.path, { name: 'livepatch-fix-1b', release: '6.1.0-57-amd64' });
    const other = (
      await buildPatchPackage({
        modules: [rebuilt],
        name: 'livepatch-fix',
        version: '1',
        maintainer: 'T <t@example.org>',
        outputDir: join(tmp.path, 'other'),
      })
    ).path;
    await expect(publishPackages(repo, [other], 'testing', { log: silentLogger })).rejects.toThrow(
      /already has this package and version with different contents/,
    );
    // A new version that reuses the module name of a published one could never replace it.
    const sameName = await fakeLivepatchModule(join(tmp.path, 'other'), {
      name: 'livepatch-fix-1',
      release: '6.1.0-57-amd64',
    });
    const v3 = (
      await buildPatchPackage({
        modules: [sameName],
        name: 'livepatch-fix',
        version: '3',
        maintainer: 'T <t@example.org>',
        outputDir: join(tmp.path, 'v3'),
      })
    ).path;
    await expect(publishPackages(repo, [v3], 'testing', { log: silentLogger })).rejects.toThrow(
      /livepatch-fix 3 reuses module name livepatch_fix_1 of livepatch-fix 1 \(in testing\)/,
    );
  });

  it('the command line: publish to testing, promote to stable, as JSON', async () => {
    const repo = join(tmp.path, 'repo-cli');
    const published = await cli(['publish', v1, tools, '--repo', repo, '--json']);
    expect(published.exitCode, String(published.stderr)).toBe(0);
    const json = JSON.parse(String(published.stdout));
    expect(json.suite).toBe('testing');
    expect(json.packages.map((p: { name: string }) => p.name)).toEqual(['livepatch-fix', 'tsbuild-patch-tools']);
    expect(json.sourcesLine).toBe(
      `deb [signed-by=/usr/share/keyrings/tsbuild-patch-archive-keyring.gpg] file:${join(repo, 'public')} testing main`,
    );
    const promoted = await cli(['promote', 'livepatch-fix', '--repo', repo]);
    expect(promoted.exitCode, String(promoted.stderr)).toBe(0);
    expect(String(promoted.stdout)).toBe('stable: livepatch-fix 1 (amd64)');
    const wrong = await cli(['publish', v1, '--repo', repo, '--suite', 'unstable']);
    expect(wrong.exitCode).toBe(64); // usage
    expect(String(wrong.stderr)).toMatch(/Invalid values|Choices/);
  });
});
