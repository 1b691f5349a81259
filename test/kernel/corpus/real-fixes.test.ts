// Real stable fixes as livepatches for Debian's kernel (issue 10): per-file patches of what
// changed between two linux-source-6.1 versions, built with `tsbuild-patch batch --kernel
// RELEASE --json --jobs 2`, and every built module proven in Debian's kernel under qemu, several
// per boot: target module first, insmod, transition complete, enabled, the patched functions in
// sysfs, their calls counted (kprobe events) under a workload of the patched file's subsystem,
// disable, rmmod, no oops, warning or BUG in the kernel log.
//
// Which fixes, on which kernel. real-fixes.json is a fixed sample: 24 per-file patches of
// 6.1.176-1..6.1.187-1 (scripts/corpus), each with its outcome measured on 6.1.0-50-amd64
// (drivers/net/virtio_net.c was built and loaded until the struct layout check came: the fix
// reshapes struct virtio_net_ctrl_rss and struct control_buf, which the running driver's data
// keeps in the old layout; it is refused as struct-layout-changed now).
// Those outcomes are measurements of one pair of sources on one release, and Debian's archive
// drops both within months. So:
// - while the archive still serves that release (at 6.1.176-1) and linux-source-6.1 6.1.187-1,
//   the fixed sample runs there and every outcome is checked exactly;
// - otherwise (or with TSBP_REAL_FIXES=served, to try this path while the first still works) a
//   sample is made now from what the archive serves (scripts/corpus/served-sample.ts): the oldest
//   release it can build, the C files it builds that changed between its source and the next
//   newer linux-source-6.1 served, up to 20 chosen with a fixed seed across the change classes.
//   Nobody measured those, so only what must hold for any real fix is checked: no tool error, no
//   built module that fails to load, transition or unload cleanly, every refusal with its
//   category, and at least one fix built and proven.
// Not chosen: the fixed patches on the closest served release they still apply to. Their outcomes
// were measured on 6.1.176-1's code; checked on other code they would be claims, not
// measurements, and once no served source predates 6.1.187 (every newer one has these fixes
// already, a few months away) that fallback dies as well. The sample made from the served pair
// lasts as long as Debian serves a buildable release and a newer linux-source-6.1 (its security
// archive keeps several: five today). A new exact sample is measured with scripts/corpus
// (corpus:build, corpus:run, corpus:fixed-sample, after setting scripts/corpus/paths.ts to a pair
// the archive serves).
// Run under the shared heavy lock (the caller takes it): nothing here takes it again.
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveVersions } from '../../../src/sources/debian/apt.js';
import { aptContext } from '../../../src/sources/debian/apt-context.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';
import { filePatch } from '../../../scripts/corpus/file-patch.js';
import { finalOutcome } from '../../../scripts/corpus/results.js';
import { describeExercise } from '../../../src/report/exercise.js';
import { servedPair, servedSample, type ServedPair } from '../../../scripts/corpus/served-sample.js';
import { treesWith } from '../../../scripts/corpus/sources.js';
import { buildGroup, type BuildResult } from '../../../scripts/corpus/tool-run.js';
import { proveInVm, type VmVerdict } from '../../../scripts/corpus/vm-batch.js';
import { debianTestReleases, NoReleaseToTest } from '../debian/releases.js';

interface Expected {
  id: string;
  file: string;
  class: string;
  target: string;
  /** built-and-loaded, refused (with category), needs-header or no-change. */
  expected: string;
  category?: string;
}

const sample = JSON.parse(readFileSync(new URL('./real-fixes.json', import.meta.url), 'utf8')) as {
  corpus: string;
  release: string;
  patches: Expected[];
};
const [sampleOld, sampleNew] = sample.corpus.split('..') as [string, string];

/** The fixed sample where the archive still serves what it was measured on, else a pair served now. */
async function choosePath(): Promise<{ kind: 'fixed' } | { kind: 'served'; pair: ServedPair; why: string }> {
  const { buildable } = await debianTestReleases();
  const source = DEBIAN_BOOKWORM.packages(sample.release).source;
  const sources = (await archiveVersions(aptContext(DEBIAN_BOOKWORM), [source])).get(source) ?? [];
  const named = buildable.find((r) => r.release === sample.release);
  const forced = process.env['TSBP_REAL_FIXES'] === 'served';
  if (!forced && named?.version === sampleOld && sources.includes(sampleNew)) return { kind: 'fixed' };
  const why = forced
    ? 'TSBP_REAL_FIXES=served'
    : `the archive no longer serves ${named?.version === sampleOld ? `${source} ${sampleNew}` : `${sample.release} at ${sampleOld}`}, which the fixed sample was measured on`;
  const pair = await servedPair(buildable).catch((error: unknown) => {
    throw new NoReleaseToTest(`${why}, and ${(error as Error).message}`);
  });
  return { kind: 'served', pair, why };
}

const path = await choosePath();
process.stderr.write(
  path.kind === 'fixed'
    ? `real fixes: the fixed sample (${sample.corpus} on ${sample.release}), outcomes checked exactly\n`
    : `real fixes: ${path.why}: a sample of ${path.pair.oldVersion}..${path.pair.newVersion} on ${path.pair.release} made now, checked for what holds for any fix\n`,
);

/** Each patch built (one batch, two at a time, each in its own copy of the prepared tree) and its modules proven, eight per boot. */
async function buildAndProve(
  entries: Array<{ id: string; file: string; patch: string }>,
  dir: string,
  release: string,
) {
  const results = await buildGroup(entries, join(dir, 'modules'), {
    lock: false,
    jobs: 2,
    timeoutMs: 20 * 60_000,
    release,
  });
  const builds = new Map<string, BuildResult>(results.map((r) => [r.id, r]));
  const built = entries.filter((e) => builds.get(e.id)!.outcome === 'built');
  const verdicts = new Map<string, VmVerdict>();
  for (let i = 0; i < built.length; i += 8) {
    const batch = built.slice(i, i + 8).map((e) => {
      const b = builds.get(e.id)!;
      return { id: e.id, file: e.file, module: b.module!, ko: b.ko!, functions: b.functions ?? {} };
    });
    for (const v of await proveInVm(batch, release)) verdicts.set(v.id, v);
  }
  for (const v of verdicts.values())
    if (v.loaded)
      process.stderr.write(
        `  ${v.id}: workload ${v.workload}: ${v.exercise ? describeExercise(v.exercise) : 'no calls counted'}\n`,
      );
  return { builds, verdicts };
}

/**
 * Debian's kernels have kprobe events: every livepatch that loaded had its functions' calls
 * counted (a verdict other than not-measured), whether its workload reached them or not. A
 * livepatch that replaces no function (net/sunrpc/xprt.c's fix only adds one, which nothing of
 * the running kernel calls: sysfs lists none) has nothing to count.
 */
function expectCounted(verdicts: ReadonlyMap<string, VmVerdict>): void {
  const uncounted = [...verdicts.values()]
    .filter((v) => v.loaded && v.sysfs.length > 0 && (!v.exercise || v.exercise.verdict === 'not-measured'))
    .map((v) => `${v.id}: ${v.exercise ? describeExercise(v.exercise) : 'no calls counted'}`);
  expect(uncounted).toEqual([]);
}

const title =
  path.kind === 'fixed'
    ? `real stable fixes on Debian ${sample.release} (the fixed sample of ${sample.corpus})`
    : `real stable fixes on Debian ${path.pair.release} (a sample of ${path.pair.oldVersion}..${path.pair.newVersion} made from the archive)`;

describe(title, () => {
  if (path.kind === 'fixed') {
    it(`${sample.patches.length} corpus patches build, load and unload, or are refused for their reason`, async () => {
      const dir = join(tmpdir(), `tsbp-real-fixes-${process.pid}`);
      await mkdir(join(dir, 'modules'), { recursive: true });
      const { oldTree, newTree } = await treesWith(
        sample.patches.map((p) => p.file),
        join(dir, 'src'),
      );
      const entries = [];
      for (const p of sample.patches) {
        const patch = join(dir, `${p.id}.patch`);
        await writeFile(patch, await filePatch(oldTree, newTree, p.file));
        entries.push({ id: p.id, file: p.file, patch });
      }
      const { builds, verdicts } = await buildAndProve(entries, dir, sample.release);
      const actual = sample.patches.map((p) => {
        const b = builds.get(p.id)!;
        const v = verdicts.get(p.id);
        // The sample measured loading, before calls were counted: exercised or not, it loaded. A
        // target module that does not load is target-unavailable, never loaded.
        const final = finalOutcome(b, v);
        const outcome =
          final === 'built-loaded-exercised'
            ? 'built-and-loaded'
            : final === 'load-failed'
              ? `load-failed: ${v?.problems.join('; ')}`
              : final === 'tool-error'
                ? `tool-error: ${b.detail?.slice(-300)}`
                : final;
        return { file: p.file, outcome, ...(b.category ? { category: b.category } : {}) };
      });
      await rm(dir, { recursive: true, force: true });
      expect(actual).toEqual(
        sample.patches.map((p) => ({
          file: p.file,
          outcome: p.expected,
          ...(p.category ? { category: p.category } : {}),
        })),
      );
      expectCounted(verdicts);
    });
  } else {
    const { pair } = path;
    it("the sample's patches build, load and unload, or are refused, need a header or change nothing; never a tool error or a failed load", async () => {
      const dir = join(tmpdir(), `tsbp-real-fixes-${process.pid}`);
      await mkdir(join(dir, 'modules'), { recursive: true });
      const entries = await servedSample(pair, join(dir, 'patches'));
      expect(
        entries.length,
        `no changed C file of ${pair.oldVersion}..${pair.newVersion} that ${pair.release} builds`,
      ).toBeGreaterThan(0);
      const { builds, verdicts } = await buildAndProve(entries, dir, pair.release);
      const actual = entries.map((e) => {
        const b = builds.get(e.id)!;
        const outcome = finalOutcome(b, verdicts.get(e.id));
        const detail =
          outcome === 'tool-error'
            ? b.detail?.slice(-300)
            : outcome === 'load-failed'
              ? verdicts.get(e.id)?.problems.join('; ')
              : undefined;
        return {
          file: e.file,
          class: e.class,
          target: e.target,
          outcome,
          ...(b.category ? { category: b.category } : {}),
          ...(detail ? { detail } : {}),
        };
      });
      for (const a of actual)
        process.stderr.write(
          `  ${a.outcome.padEnd(16)} ${a.file} (${a.class}, ${a.target})${a.category ? ` [${a.category}]` : ''}\n`,
        );
      await rm(dir, { recursive: true, force: true });
      // What holds for any fix: the tool either builds a module that the kernel takes and gives
      // back, or says why not (a refusal with its category, a file that needs its commit's header
      // change, no change); a module of a target qemu cannot load (a Hyper-V driver) is told apart.
      const loaded = new Set(['built-loaded-exercised', 'built-and-loaded']);
      const allowed = new Set([...loaded, 'refused', 'needs-header', 'no-change', 'target-unavailable']);
      expect(actual.filter((a) => !allowed.has(a.outcome))).toEqual([]);
      expect(actual.filter((a) => a.outcome === 'refused' && !a.category)).toEqual([]);
      expect(
        actual.filter((a) => loaded.has(a.outcome)).length,
        'no fix of the sample was built and proven',
      ).toBeGreaterThan(0);
      expectCounted(verdicts);
    });
  }
});
