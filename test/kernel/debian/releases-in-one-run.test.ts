import { fileURLToPath } from 'node:url';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { hostRunner } from '../../../src/kbuild/runner.js';
import { modinfoValue } from '../../../src/klp/check-module.js';
import { releasesExitCode, runForReleases } from '../../../src/pipeline/releases.js';
import { DEBIAN_RELEASES } from './releases.js';

const PATCH = fileURLToPath(new URL('../../patches/debian/binfmt-misc-status.patch', import.meta.url));

describe('several kernel releases in one run', () => {
  it('builds one module per release, and reports a release that cannot be built with its reason', async () => {
    const { path: outputDir } = await tmpDir({ unsafeCleanup: true });
    const outcomes = await runForReleases({
      patches: [PATCH], releases: [...DEBIAN_RELEASES, '6.1.0-48-amd64'], outputDir, runner: hostRunner,
      name: 'livepatch-binfmt-fleet', replace: true, keepTmp: false, log: (line) => process.stderr.write(`  ${line}\n`),
    });
    expect(outcomes.map((o) => [o.release, o.outcome])).toEqual([...DEBIAN_RELEASES.map((r) => [r, 'built']), ['6.1.0-48-amd64', 'failed']]);
    for (const outcome of outcomes.filter((o) => o.outcome === 'built')) {
      expect(outcome.output).toBe(`${outputDir}/${outcome.release}/livepatch-binfmt-fleet.ko`);
      expect(modinfoValue(await readElf(outcome.output!), 'vermagic')).toBe(`${outcome.release} SMP preempt mod_unload modversions `);
      expect(outcome.report?.objects[0]?.changedFunctions).toEqual(['bm_status_read']);
    }
    // 6.1.0-48 exists only as a signed image: no source or debug info to build against.
    expect(outcomes[2]?.reason).toMatch(/archive lacks what a build needs[\s\S]*6\.1\.0-50-amd64/);
    expect(releasesExitCode(outcomes)).toBe(1);
  });
});
