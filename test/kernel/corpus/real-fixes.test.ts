// Real stable fixes as livepatches for Debian's kernel (issue 10): a fixed sample of the
// corpus (6.1.176-1..6.1.187-1, per-file patches of what 6.1.0-50-amd64 builds), chosen once and
// listed with its expected outcome in real-fixes.json. Each patch is made again from the two
// linux-source-6.1 trees (scripts/corpus), built with `tsbuild-patch batch --kernel
// 6.1.0-50-amd64 --json --jobs 2`, and every built module is proven in Debian's kernel under qemu, several
// per boot: target module first, insmod, transition complete, enabled, the patched functions in
// sysfs, a workload, disable, rmmod, no oops, warning or BUG in the kernel log.
// Run under the shared heavy lock (the caller takes it): nothing here takes it again.
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filePatch } from '../../../scripts/corpus/file-patch.js';
import { treesWith } from '../../../scripts/corpus/sources.js';
import { buildGroup, type BuildResult } from '../../../scripts/corpus/tool-run.js';
import { proveInVm, type VmVerdict } from '../../../scripts/corpus/vm-batch.js';

interface Expected {
  id: string;
  file: string;
  class: string;
  target: string;
  /** built-and-loaded, refused (with category), needs-header or no-change. */
  expected: string;
  category?: string;
}

const sample = JSON.parse(readFileSync(new URL('./real-fixes.json', import.meta.url), 'utf8')) as { patches: Expected[] };

describe('real stable fixes on Debian 6.1.0-50-amd64', () => {
  it(`${sample.patches.length} corpus patches build, load and unload, or are refused for their reason`, async () => {
    const dir = join(tmpdir(), `tsbp-real-fixes-${process.pid}`);
    await mkdir(join(dir, 'modules'), { recursive: true });
    const { oldTree, newTree } = await treesWith(sample.patches.map((p) => p.file), join(dir, 'src'));
    const entries = [];
    for (const p of sample.patches) {
      const patch = join(dir, `${p.id}.patch`);
      await writeFile(patch, await filePatch(oldTree, newTree, p.file));
      entries.push({ id: p.id, patch });
    }
    // One batch, two patches at a time, each in its own copy of the prepared tree.
    const results = await buildGroup(entries, join(dir, 'modules'), { lock: false, jobs: 2, timeoutMs: 20 * 60_000 });
    const builds = new Map<string, BuildResult>(results.map((r) => [r.id, r]));
    const built = sample.patches.filter((p) => builds.get(p.id)!.outcome === 'built');
    const verdicts = new Map<string, VmVerdict>();
    for (let i = 0; i < built.length; i += 8) {
      const batch = built.slice(i, i + 8).map((p) => {
        const b = builds.get(p.id)!;
        return { id: p.id, module: b.module!, ko: b.ko!, functions: b.functions ?? {} };
      });
      for (const v of await proveInVm(batch)) verdicts.set(v.id, v);
    }
    const actual = sample.patches.map((p) => {
      const b = builds.get(p.id)!;
      const v = verdicts.get(p.id);
      const outcome = b.outcome === 'built' ? (v?.loaded ? 'built-and-loaded' : `load-failed: ${v?.problems.join('; ')}`) : b.outcome === 'tool-error' ? `tool-error: ${b.detail?.slice(-300)}` : b.outcome;
      return { file: p.file, outcome, ...(b.category ? { category: b.category } : {}) };
    });
    await rm(dir, { recursive: true, force: true });
    expect(actual).toEqual(sample.patches.map((p) => ({ file: p.file, outcome: p.expected, ...(p.category ? { category: p.category } : {}) })));
  });
});
