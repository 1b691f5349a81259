// `tsbuild-patch batch`: one module per patch for one Debian kernel, two patches building at
// once, each in its own copy of the prepared tree; a refused patch and a patch that does not
// apply are reported with their reasons and do not stop the others; the modules then load,
// change what they patch and unload in one boot.
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { BatchOutcome } from '../../../src/pipeline/batch.js';
import { cacheRoot } from '../../../src/util/cache.js';
import { boot, load, PATCHES, unload } from '../e2e/harness.js';
import { debianReleases } from './releases.js';

const [kernel] = await debianReleases();
const BIN = new URL('../../../bin/tsbuild-patch.js', import.meta.url).pathname;

describe(`tsbuild-patch batch -j 2 on Debian's ${kernel}`, () => {
  it('builds each patch into its own module, two at a time, and reports the others with their reasons', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsbp-batch-'));
    const broken = join(dir, 'does-not-apply.patch');
    await writeFile(
      broken,
      '--- a/fs/proc/version.c\n+++ b/fs/proc/version.c\n@@ -1,3 +1,3 @@\n-no such line\n+another line\n context\n context\n',
    );
    const patches = [
      join(PATCHES, 'debian/binfmt-misc-status.patch'),
      join(PATCHES, 'refuse-init.patch'),
      broken,
      join(PATCHES, 'proc-version-string.patch'),
    ];
    const started = Date.now();
    const run = await execa(
      'node',
      [
        BIN,
        'batch',
        '--json',
        '--jobs',
        '2',
        '--kernel',
        kernel,
        '--container',
        'none',
        '-o',
        join(dir, 'out'),
        ...patches,
      ],
      { reject: false },
    );
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`  [batch] 4 patches in ${seconds.toFixed(1)} s\n`);
    const lines = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as BatchOutcome & { kind: string; exitCode?: number });
    // One line per patch, then the summary with the process's outcome and exit code.
    const outcomes = lines.filter((line) => line.kind === 'patch');
    const byPatch = new Map(outcomes.map((o) => [o.patch, o]));
    expect(outcomes).toHaveLength(4);
    expect(lines.map((line) => line.kind)).toEqual(['patch', 'patch', 'patch', 'patch', 'summary']);
    expect(lines[4]?.exitCode).toBe(run.exitCode);
    // Exit 1: one patch failed (it does not apply).
    expect(run.exitCode).toBe(1);

    const binfmt = byPatch.get(patches[0]!)!;
    expect(binfmt).toMatchObject({
      outcome: 'built',
      module: 'livepatch-binfmt-misc-status',
      output: join(dir, 'out', 'livepatch-binfmt-misc-status.ko'),
    });
    expect(binfmt.report!.objects.map((o) => [o.object, o.target, o.changedFunctions])).toEqual([
      ['fs/binfmt_misc.o', 'binfmt_misc', ['bm_status_read']],
    ]);
    const refused = byPatch.get(patches[1]!)!;
    expect(refused).toMatchObject({ outcome: 'refused', exitCode: 2 });
    expect(refused.failure!.reasons.map((r) => [r.object, r.category])).toEqual([
      ['fs/proc/cmdline.o', 'init-code'],
      ['fs/proc/cmdline.o', 'init-code'],
    ]);
    const failed = byPatch.get(patches[2]!)!;
    expect(failed).toMatchObject({ outcome: 'failed', exitCode: 1 });
    expect(failed.failure!.message).toMatch(/does-not-apply\.patch.*(does not apply|FAILED)|fs\/proc\/version\.c/s);
    const version = byPatch.get(patches[3]!)!;
    expect(version).toMatchObject({ outcome: 'built', module: 'livepatch-proc-version-string' });

    // The first two patches started at once, the second in a copy of the prepared tree.
    expect(new Set(outcomes.map((o) => o.slot))).toEqual(new Set([0, 1]));
    const copies = (
      await execa('sh', ['-c', `ls -d ${join(cacheRoot(), 'trees')}/*/slots/1/linux/Makefile`], { reject: false })
    ).stdout;
    expect(copies).toMatch(/slots\/1\/linux\/Makefile/);

    const vm = await boot(
      [binfmt.output!, version.output!],
      `
      insmod ./binfmt_misc.ko; mount -t binfmt_misc none /proc/sys/fs/binfmt_misc
      report status_before "$(cat /proc/sys/fs/binfmt_misc/status)"
      ${load(binfmt.output!, 'binfmt')}
      report status_patched "$(cat /proc/sys/fs/binfmt_misc/status)"
      ${unload(binfmt.output!, 'binfmt_unload')}
      ${load(version.output!, 'version')}
      report version "$(tail -n 1 /proc/version)"
      ${unload(version.output!, 'version_unload')}
      report version_after "$(tail -n 1 /proc/version)"`,
      undefined,
      { kernel },
    );
    expect(vm.values['status_before']).toBe('enabled');
    expect([vm.values['binfmt'], vm.values['binfmt_wait'], vm.values['binfmt_unload']]).toEqual(['0', '0', '0']);
    expect(vm.values['status_patched']).toBe('enabled (livepatched)');
    expect([vm.values['version'], vm.values['version_unload']]).toEqual(['version: livepatched', '0']);
    expect(vm.values['version_after']).not.toBe('version: livepatched');
    expect(vm.kernelLog).not.toMatch(/Oops|BUG:|WARNING:|Call Trace/);
    await access(binfmt.output!);
  });
});
