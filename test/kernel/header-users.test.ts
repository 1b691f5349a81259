import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headersIncludedBy, includeGraph, sourcesIncluding } from '../../src/kbuild/include-graph.js';
import { readObjectIndex } from '../../src/kbuild/object-index.js';
import { hostRunner } from '../../src/kbuild/runner.js';
import { prepareWorkTree } from '../../src/kbuild/work-tree.js';
import { defaultTarget } from '../../src/kernels/target-kernel.js';
import { silentLogger } from '../../src/util/log.js';

// Ground truth for the header search of prepared trees (which never build the whole kernel):
// the test kernel's full original build, whose kbuild .cmd files list every header each object
// really depended on. For every header any object depends on, the sources the include graph
// finds must contain every source that kbuild says depends on it: none may be missed.
describe('header users without a build, checked against a full build', () => {
  it('the include graph never misses an object that kbuild built with the header', async () => {
    const tree = await prepareWorkTree({ target: await defaultTarget(silentLogger), runner: hostRunner, log: silentLogger });
    const index = await readObjectIndex(join(tree.entry, 'object-index.json'));
    expect(index).toBeDefined();
    const started = performance.now();
    const graph = await includeGraph(tree.dir, join(tree.entry, 'include-graph.json'));
    process.stderr.write(`  include graph: ${graph.files.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const isGenerated = (header: string) => /^(include\/generated|arch\/x86\/include\/generated|include\/config)\//.test(header);
    // Every (header, object) dependency of the full build must be found: checked for every
    // object through the forward closure (the same relation as sourcesIncluding, other way).
    const missed: string[] = [];
    let truth = 0;
    for (const object of index!.objects) {
      const reachable = headersIncludedBy(graph, object.source);
      for (const dep of object.deps) {
        const header = index!.headers[dep]!;
        if (isGenerated(header)) continue; // generated headers are never patched
        truth++;
        if (!reachable.has(header)) missed.push(`${header} <- ${object.source}`);
      }
    }
    process.stderr.write(`  ${index!.objects.length} objects, ${truth} (header, object) dependencies checked\n`);
    expect(truth).toBeGreaterThan(100_000);
    expect(missed.slice(0, 20)).toEqual([]);
    // And sourcesIncluding itself, on headers from narrow to everywhere.
    for (const header of ['fs/proc/fd.h', 'fs/proc/internal.h', 'include/linux/seq_file.h', 'include/linux/sched.h', 'include/linux/kconfig.h']) {
      const users = index!.objects.filter((o) => o.deps.some((d) => index!.headers[d] === header)).map((o) => o.source);
      expect(users.length, header).toBeGreaterThan(0);
      const found = new Set(sourcesIncluding(graph, header));
      expect(users.filter((u) => !found.has(u)), header).toEqual([]);
    }
  });
});
