import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readElf } from '../../../src/elf/index.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { cacheRoot } from '../../../src/util/cache.js';
import {
  ROOT,
  aptPackages,
  gitlabCiLocal,
  patchRepository,
  throwawayKeys,
  toolOnPath,
  verifyInRelease,
  writeProjectVariables,
  type ThrowawayKeys,
} from '../../support/ci-pipeline.js';
import { loadSchemas } from '../../support/json-contract.js';
import { verifyModuleFile, verifyModuleSignature } from '../../support/module-signature.js';
import { debianTestReleases } from '../debian/releases.js';

/**
 * The GitLab pipeline of ci-templates/ end to end, as a user runs it (gitlab-ci-local, shell
 * executor): a repository of two patches that includes the template; the project's CI/CD
 * variables with throwaway keys as File variables; the tool of this checkout (dist/) on the jobs'
 * PATH and its usual cache (the trees the Debian kernel tests prepare). The pipeline lists the
 * releases (the two under test, checked against the archive's lists), builds one signed module
 * per release in a child pipeline's matrix, packages them and publishes the package to testing;
 * then its manual promote job is run, as clicking it does, and the package is in stable.
 */
const { newest, older } = await debianTestReleases();
const EXAMPLE = join(ROOT, 'examples/cmdline-string.patch');
const BINFMT = join(ROOT, 'test/patches/debian/binfmt-misc-status.patch');
const log = (line: string) => process.stderr.write(`  [ci] ${line}\n`);

let tmp: { path: string; cleanup: () => Promise<void> };
let project: string;
let bin: string;
let keys: ThrowawayKeys;
let cert: string;
let served: string;
beforeAll(async () => {
  await access(join(ROOT, 'dist/cli/main.js')).catch(() => {
    throw new Error('dist/ is not built: run npm run build (npm test builds it first)');
  });
  tmp = await dir({ prefix: 'tsbp-ci-', unsafeCleanup: true });
  project = await patchRepository(join(tmp.path, 'project'), {
    '0001-cmdline-string.patch': await readFile(EXAMPLE, 'utf8'),
    '0002-binfmt-misc-status.patch': await readFile(BINFMT, 'utf8'),
  });
  bin = await toolOnPath(tmp.path, join(ROOT, 'bin/tsbuild-patch.js'));
  keys = await throwawayKeys(join(tmp.path, 'keys'));
  cert = join(tmp.path, 'module-cert.pem');
  await writeFile(cert, keys.moduleCert);
  served = join(tmp.path, 'served');
  await writeProjectVariables(project, {
    LIVEPATCH_RELEASES: `${newest.release} ${older.release}`,
    LIVEPATCH_NAME: 'livepatch-ci',
    LIVEPATCH_VERSION: '1',
    LIVEPATCH_MAINTAINER: 'CI tests <ci@tsbuild-patch.invalid>',
    // On the host, as the other Debian kernel tests build: their prepared trees are reused.
    LIVEPATCH_BUILD_OPTIONS: '--container none',
    LIVEPATCH_MODULE_SIGNING_KEY: { file: keys.moduleKey },
    LIVEPATCH_MODULE_SIGNING_CERT: { file: keys.moduleCert },
    LIVEPATCH_REPO: join(tmp.path, 'repo'),
    LIVEPATCH_REPO_SIGNING_KEY: { file: keys.repoKey },
    LIVEPATCH_REPO_SYNC: `rsync -a --delete "$LIVEPATCH_REPO/public/" ${served}/`,
    TSBUILD_PATCH_CACHE: cacheRoot(),
  });
});
afterAll(async () => tmp?.cleanup());

const NAMES = ['livepatch-ci', 'tsbuild-patch-tools'];

describe(`the GitLab pipeline end to end (gitlab-ci-local): releases ${older.release} and ${newest.release}`, () => {
  it('builds a signed module per release, publishes one package to testing, and the manual job promotes it', async () => {
    let started = performance.now();
    const pipeline = await gitlabCiLocal(project, [], { bin });
    log(`pipeline: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const builds = [older, newest].map((r) => `build: [${r.release}]`);
    expect({ passed: [...pipeline.passed].sort(), failed: pipeline.failed }, pipeline.output).toEqual({
      passed: [...builds, 'livepatch', 'livepatch-releases', 'publish'].sort(),
      failed: [],
    });

    // The releases, checked against the archive's lists, in its order; the child's matrix over them.
    const releases = JSON.parse(await readFile(join(project, 'livepatch-releases.json'), 'utf8')) as string[];
    expect(releases).toEqual([older.release, newest.release]);
    const child = parse(await readFile(join(project, 'livepatch-child.yml'), 'utf8')) as {
      build: { parallel: { matrix: { RELEASE: string[] }[] } };
    };
    expect(child.build.parallel.matrix).toEqual([{ RELEASE: releases }]);

    // One module per release: built for it, both patches in it, signed with the CI variable's key.
    const { validators, ajv } = await loadSchemas();
    for (const release of releases) {
      const ko = join(project, 'out', release, 'livepatch-ci-1.ko');
      const report = JSON.parse(await readFile(join(project, 'out', release, 'build.json'), 'utf8')) as {
        outcome: string;
        kernelRelease: string;
        signed: boolean;
        objects: { changedFunctions: string[] }[];
      };
      expect(validators.get('build')!(report), ajv.errorsText(validators.get('build')!.errors)).toBe(true);
      expect([report.outcome, report.kernelRelease, report.signed]).toEqual(['built', release, true]);
      expect(report.objects.flatMap((o) => o.changedFunctions).sort()).toEqual(['bm_status_read', 'cmdline_proc_show']);
      expect(modinfoValue(await readElf(ko), 'vermagic')).toBe(`${release} SMP preempt mod_unload modversions `);
      const signer = await execa('modinfo', ['-F', 'signer', ko]);
      const sigKey = await execa('modinfo', ['-F', 'sig_key', ko]);
      expect([String(signer.stdout), String(sigKey.stdout)]).toEqual([keys.moduleSigner, keys.moduleSerial]);
      const signature = await verifyModuleFile(ko, cert);
      expect(signature.ok, signature.output).toBe(true);
      const tampered = await readFile(ko);
      tampered[4096]! ^= 1;
      expect((await verifyModuleSignature(tampered, cert)).ok).toBe(false);
    }

    // One package of both modules, in testing only, in a repository signed with the CI variable's key.
    const packaged = JSON.parse(await readFile(join(project, 'reports/package.json'), 'utf8')) as {
      package: { name: string; version: string; path: string; modules: { release: string }[] };
    };
    expect([packaged.package.name, packaged.package.version]).toEqual(['livepatch-ci', '1']);
    expect(packaged.package.modules.map((m) => m.release).sort()).toEqual([...releases].sort());
    const signed = await verifyInRelease(served, 'testing');
    expect(signed.ok, signed.output).toBe(true);
    expect(signed.output).toContain(`VALIDSIG ${keys.repoFingerprint}`);
    const testing = await aptPackages(served, 'testing', NAMES, join(tmp.path, 'apt-testing'));
    expect(testing['livepatch-ci']?.['Version']).toBe('1');
    expect(testing['livepatch-ci']?.['X-Kernel-Releases']?.split(' ').sort()).toEqual([...releases].sort());
    expect(testing['livepatch-ci']?.['X-Livepatch-Functions']?.split(' ').sort()).toEqual([
      'bm_status_read',
      'cmdline_proc_show',
    ]);
    expect(testing['tsbuild-patch-tools']).toBeDefined();
    const before = await aptPackages(served, 'stable', NAMES, join(tmp.path, 'apt-stable-before'));
    expect(before['livepatch-ci']).toBeUndefined();

    // The manual job, run as clicking it runs it: in the child pipeline, after publish.
    started = performance.now();
    const promote = await gitlabCiLocal(project, ['--file', 'livepatch-child.yml', 'promote'], { bin });
    log(`promote: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect({ passed: promote.passed, failed: promote.failed, warned: promote.warned }, promote.output).toEqual({
      passed: ['promote'],
      failed: [],
      warned: [],
    });
    const stable = await aptPackages(served, 'stable', NAMES, join(tmp.path, 'apt-stable-after'));
    expect(stable['livepatch-ci']?.['Version']).toBe('1');
    expect(stable['tsbuild-patch-tools']).toBeDefined();
    expect((await verifyInRelease(served, 'stable')).output).toContain(`VALIDSIG ${keys.repoFingerprint}`);
  });
});
