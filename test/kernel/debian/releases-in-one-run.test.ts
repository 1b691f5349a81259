import { fileURLToPath } from 'node:url';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { releasesExitCode, runForReleases } from '../../../src/pipeline/releases.js';
import { debianTestReleases } from './releases.js';

const PATCH = fileURLToPath(new URL('../../patches/debian/binfmt-misc-status.patch', import.meta.url));
// Two releases the archive can build and one it cannot (an ABI number missing from its list).
const { releases, older, unbuildable } = await debianTestReleases();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('several kernel releases in one run', () => {
  it('builds one module per release, and reports a release that cannot be built with its reason', async () => {
    const { path: outputDir } = await tmpDir({ unsafeCleanup: true });
    const outcomes = await runForReleases({
      patches: [PATCH],
      releases: [...releases, unbuildable],
      outputDir,
      runner: hostRunner,
      name: 'livepatch-binfmt-fleet',
      replace: true,
      keepTmp: false,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    expect(outcomes.map((o) => [o.release, o.outcome])).toEqual([
      ...releases.map((r) => [r, 'built']),
      [unbuildable, 'failed'],
    ]);
    for (const outcome of outcomes.filter((o) => o.outcome === 'built')) {
      expect(outcome.output).toBe(`${outputDir}/${outcome.release}/livepatch-binfmt-fleet.ko`);
      expect(modinfoValue(await readElf(outcome.output!), 'vermagic')).toBe(
        `${outcome.release} SMP preempt mod_unload modversions `,
      );
      expect(outcome.report?.objects[0]?.changedFunctions).toEqual(['bm_status_read']);
    }
    // The refusal lists what the archive can build, the older release among them.
    expect(outcomes[2]?.reason).toMatch(
      new RegExp(
        `${escape(unbuildable)}: the archive lacks what a build needs[\\s\\S]*${escape(`${older.release} (${older.version})`)}`,
      ),
    );
    expect(releasesExitCode(outcomes)).toBe(1);
  });
});
