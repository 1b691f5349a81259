import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aptPackages,
  gitlabCiLocal,
  patchRepository,
  throwawayKeys,
  toolFromSources,
  toolOnPath,
  verifyInRelease,
  writeProjectVariables,
  type CiVariable,
  type ThrowawayKeys,
} from '../../support/ci-pipeline.js';
import { fakeLivepatchModule } from '../deploy/fake-livepatch.js';

/**
 * The GitLab pipeline of ci-templates/ as gitlab-ci-local reads and runs it (shell executor),
 * without a kernel build: its jobs and their order, and the fan-in (package, publish to testing)
 * and the manual promote run for real (the tool from this checkout's sources) on livepatch-like
 * modules of two releases in the build jobs' place. test/kernel/ci/gitlab-pipeline.test.ts runs
 * the whole pipeline, builds included.
 */
const RELEASES = ['6.1.0-50-amd64', '6.1.0-57-amd64'];

let tmp: { path: string; cleanup: () => Promise<void> };
let project: string;
let bin: string;
let keys: ThrowawayKeys;
let served: string;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  project = await patchRepository(join(tmp.path, 'project'), { '0001-fix.patch': 'not built here\n' });
  bin = await toolOnPath(tmp.path, await toolFromSources(tmp.path));
  keys = await throwawayKeys(join(tmp.path, 'keys'));
  served = join(tmp.path, 'served');
  // What the plan job does after listing the releases: the child pipeline over them.
  await writeFile(join(project, 'livepatch-releases.json'), `${JSON.stringify(RELEASES)}\n`);
  const child = await execa('bash', ['ci-templates/livepatch.sh', 'gitlab-child', 'livepatch-releases.json'], {
    cwd: project,
  });
  await writeFile(join(project, 'livepatch-child.yml'), String(child.stdout));
}, 60_000);
afterAll(async () => tmp.cleanup());

const variables = (overrides: Record<string, CiVariable> = {}) =>
  writeProjectVariables(project, {
    LIVEPATCH_NAME: 'livepatch-ci',
    LIVEPATCH_VERSION: '1',
    LIVEPATCH_MAINTAINER: 'CI tests <ci@tsbuild-patch.invalid>',
    LIVEPATCH_REPO: join(tmp.path, 'repo'),
    LIVEPATCH_REPO_SIGNING_KEY: { file: keys.repoKey },
    LIVEPATCH_REPO_SYNC: `rsync -a --delete "$LIVEPATCH_REPO/public/" ${served}/`,
    ...overrides,
  });

describe('the GitLab pipeline (gitlab-ci-local)', () => {
  it('lists the releases, then runs a child pipeline: a build per release, publish after them all, promote by hand', async () => {
    const parent = await gitlabCiLocal(project, ['--list-json'], { bin });
    const parentJobs = JSON.parse(parent.output.slice(parent.output.indexOf('['))) as Array<Record<string, unknown>>;
    expect(parentJobs.map((j) => [j['name'], j['when'], j['needs']])).toEqual([
      ['livepatch-releases', 'on_success', undefined],
      ['livepatch', 'on_success', [{ job: 'livepatch-releases', artifacts: true, optional: false }]],
    ]);
    const child = await gitlabCiLocal(project, ['--list-json', '--file', 'livepatch-child.yml'], { bin });
    const childJobs = JSON.parse(child.output.slice(child.output.indexOf('['))) as Array<Record<string, unknown>>;
    expect(
      childJobs.map((j) => [j['name'], j['stage'], j['when'], (j['needs'] as { job: string }[])?.[0]?.job]),
    ).toEqual([
      ...RELEASES.map((r) => [`build: [${r}]`, 'build', 'on_success', undefined]),
      ['publish', 'publish', 'on_success', 'build'],
      ['promote', 'promote', 'manual', 'publish'],
    ]);
  });

  it('publish packages the modules of every release into testing, signed; promote takes that version to stable', async () => {
    for (const release of RELEASES) {
      const ko = await fakeLivepatchModule(tmp.path, { name: 'livepatch-ci-1', release });
      await mkdir(join(project, 'out', release), { recursive: true });
      await rename(ko, join(project, 'out', release, 'livepatch-ci-1.ko'));
    }
    await variables();
    const publish = await gitlabCiLocal(project, ['--file', 'livepatch-child.yml', 'publish'], { bin });
    expect({ passed: publish.passed, failed: publish.failed }, publish.output).toEqual({
      passed: ['publish'],
      failed: [],
    });
    const report = JSON.parse(await readFile(join(project, 'reports/package.json'), 'utf8')) as {
      package: { name: string; version: string; modules: { release: string; name: string }[] };
    };
    expect(report.package.name).toBe('livepatch-ci');
    expect(report.package.modules.map((m) => [m.release, m.name]).sort()).toEqual(
      RELEASES.map((r) => [r, 'livepatch_ci_1']),
    );

    // The served copy (LIVEPATCH_REPO_SYNC): signed with the key of the CI variable, the package in testing only.
    const signature = await verifyInRelease(served, 'testing');
    expect(signature.ok, signature.output).toBe(true);
    expect(signature.output).toContain(`VALIDSIG ${keys.repoFingerprint}`);
    const names = ['livepatch-ci', 'tsbuild-patch-tools'];
    const testing = await aptPackages(served, 'testing', names, join(tmp.path, 'apt-testing'));
    expect(testing['livepatch-ci']?.['Version']).toBe('1');
    expect(testing['livepatch-ci']?.['X-Kernel-Releases']).toBe(RELEASES.join(' '));
    expect(testing['tsbuild-patch-tools']).toBeDefined();
    expect(
      (await aptPackages(served, 'stable', names, join(tmp.path, 'apt-stable-1')))['livepatch-ci'],
    ).toBeUndefined();
    // The key came from the variable: no key of the repository's own, nothing private served.
    await expect(readFile(join(tmp.path, 'repo/gnupg/pubring.kbx'))).rejects.toThrow(/ENOENT/);
    expect(String((await execa('find', [served])).stdout)).not.toMatch(/gnupg|\/db\/|\/conf\/|secret|private/);

    // The manual job of a pipeline whose version testing does not hold refuses, and changes
    // nothing (a failure the pipeline allows: it shows as a warning).
    await variables({ LIVEPATCH_VERSION: '2' });
    const stale = await gitlabCiLocal(project, ['--file', 'livepatch-child.yml', 'promote'], { bin });
    expect({ warned: stale.warned, passed: stale.passed }, stale.output).toEqual({ warned: ['promote'], passed: [] });
    expect(stale.output).toContain("testing holds livepatch-ci 1, not this pipeline's version 2");

    await variables();
    const promote = await gitlabCiLocal(project, ['--file', 'livepatch-child.yml', 'promote'], { bin });
    expect({ passed: promote.passed, failed: promote.failed }, promote.output).toEqual({
      passed: ['promote'],
      failed: [],
    });
    const stable = await aptPackages(served, 'stable', names, join(tmp.path, 'apt-stable-2'));
    expect(stable['livepatch-ci']?.['Version']).toBe('1');
    expect(stable['tsbuild-patch-tools']).toBeDefined();
    expect((await verifyInRelease(served, 'stable')).output).toContain(`VALIDSIG ${keys.repoFingerprint}`);
  }, 180_000);

  it('a build without a module signing key fails before building, naming the variables', async () => {
    await variables();
    const build = await gitlabCiLocal(project, ['--file', 'livepatch-child.yml', `build: [${RELEASES[0]}]`], { bin });
    expect(build.failed, build.output).toEqual([`build: [${RELEASES[0]}]`]);
    expect(build.output).toContain(
      'no module signing key: set LIVEPATCH_MODULE_SIGNING_KEY and LIVEPATCH_MODULE_SIGNING_CERT (files), or LIVEPATCH_UNSIGNED=true',
    );
  });
});
