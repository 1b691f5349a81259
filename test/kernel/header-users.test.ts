import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { headersIncludedBy, includeGraph, sourcesIncluding } from '../../src/kbuild/include-graph.js';
import { buildObjectIndex, readObjectIndex } from '../../src/kbuild/object-index.js';
import { testKernel } from './test-kernel.js';

// Ground truth for the header search of prepared trees (which never build the whole kernel):
// the test kernel's own full build (the running kernel's tree), whose kbuild .cmd files list
// every header each object really depended on. For every header any object depends on, the sources the include graph
// finds must contain every source that kbuild says depends on it: none may be missed.
describe('header users without a build, checked against a full build', () => {
  it('the include graph never misses an object that kbuild built with the header', async () => {
    const kernel = await testKernel();
    const scratch = await tmpDir({ prefix: 'tsbp-header-users-', unsafeCleanup: true });
    await buildObjectIndex(kernel.source, join(scratch.path, 'object-index.json'));
    const index = await readObjectIndex(join(scratch.path, 'object-index.json'));
    expect(index).toBeDefined();
    const started = performance.now();
    const graph = await includeGraph(kernel.source, join(scratch.path, 'include-graph.json'));
    process.stderr.write(
      `  include graph: ${graph.files.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const isGenerated = (header: string) =>
      /^(include\/generated|arch\/x86\/include\/generated|include\/config)\//.test(header);
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
    for (const header of [
      'fs/proc/fd.h',
      'fs/proc/internal.h',
      'include/linux/seq_file.h',
      'include/linux/sched.h',
      'include/linux/kconfig.h',
    ]) {
      const users = index!.objects.filter((o) => o.deps.some((d) => index!.headers[d] === header)).map((o) => o.source);
      expect(users.length, header).toBeGreaterThan(0);
      const found = new Set(sourcesIncluding(graph, header));
      expect(
        users.filter((u) => !found.has(u)),
        header,
      ).toEqual([]);
    }
  });
});
