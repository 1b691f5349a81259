import { fileURLToPath } from 'node:url';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import { releasesExitCode, runForReleases } from '../../../src/pipeline/releases.js';
import { debianTestReleases } from './releases.js';
import { debian13TestReleases } from '../debian13/releases.js';
import { selectRunner } from '../../../src/toolchain/container/select-runner.js';
import { readStringList } from '../../../src/elf/index.js';

const PATCH = fileURLToPath(new URL('../../patches/debian/binfmt-misc-status.patch', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/cmdline-string.patch', import.meta.url));
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

describe('releases of two distribution releases in one run', () => {
  it("builds Debian 12's and Debian 13's newest kernels, each with its own compiler (its builder image)", async () => {
    const debian12 = releases[0];
    const debian13 = (await debian13TestReleases()).trixie[0];
    const runner = await selectRunner('podman', (line) => process.stderr.write(`  [podman] ${line}\n`));
    const { path: outputDir } = await tmpDir({ unsafeCleanup: true });
    const outcomes = await runForReleases({
      patches: [EXAMPLE],
      releases: [debian12, debian13],
      outputDir,
      runner,
      name: 'livepatch-cmdline-fleet',
      replace: true,
      keepTmp: false,
      log: (line) => process.stderr.write(`  ${line}\n`),
    });
    expect(outcomes.map((o) => [o.release, o.outcome])).toEqual([
      [debian12, 'built'],
      [debian13, 'built'],
    ]);
    const compilers: string[] = [];
    for (const outcome of outcomes) {
      const ko = await readElf(outcome.output!);
      expect(modinfoValue(ko, 'vermagic')).toBe(`${outcome.release} SMP preempt mod_unload modversions `);
      expect(outcome.report?.objects[0]?.changedFunctions).toEqual(['cmdline_proc_show']);
      compilers.push(readStringList(ko.sectionByName('.comment')!).join(' '));
    }
    // Each kernel's objects come from the compiler that built it: gcc 12 for 6.1, gcc 14 for 6.12.
    expect(compilers[0]).toMatch(/GCC: \(Debian 12\.[^)]*\) 12\./);
    expect(compilers[1]).toMatch(/GCC: \(Debian 14\.[^)]*\) 14\./);
    expect(compilers[0]).not.toMatch(/ 14\./);
    expect(releasesExitCode(outcomes)).toBe(0);
  });
});
