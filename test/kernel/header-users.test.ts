import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { includeGraph, sourcesIncluding } from '../../src/kbuild/include-graph.js';
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
    const users = new Map<number, string[]>();
    for (const object of index!.objects) {
      for (const dep of object.deps) users.set(dep, [...(users.get(dep) ?? []), object.source]);
    }
    // Headers of the source tree (generated ones are never patched).
    const headers = [...users.keys()].filter((id) => !/^(include\/generated|arch\/x86\/include\/generated|include\/config)\//.test(index!.headers[id]!));
    expect(headers.length).toBeGreaterThan(1000);
    const missed: string[] = [];
    let found = 0;
    let truth = 0;
    for (const id of headers) {
      const header = index!.headers[id]!;
      const predicted = new Set(sourcesIncluding(graph, header));
      for (const source of users.get(id)!) {
        truth++;
        if (predicted.has(source)) found++;
        else missed.push(`${header} <- ${source}`);
      }
    }
    process.stderr.write(`  ${headers.length} headers, ${truth} (header, object) dependencies, ${found} found\n`);
    expect(missed.slice(0, 20)).toEqual([]);
  });
});
