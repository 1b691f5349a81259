// npm run corpus:fixed-sample -- RUN ID... : write test/kernel/corpus/real-fixes.json, the fixed
// sample of the kernel test, with each patch's outcome measured in corpus run RUN as expected.
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, NEW_VERSION, OLD_VERSION, RELEASE, runsDir } from './paths.js';
import { patchClass, readResults } from './results.js';

const [run, ...ids] = process.argv.slice(2);
if (!run || ids.length === 0) throw new Error('usage: fixed-sample.ts RUN ID...');
const results = new Map((await readResults(join(runsDir(), run, 'results.jsonl'))).map((r) => [r.id, r]));
const patches = ids.map((id) => {
  const r = results.get(id);
  if (!r) throw new Error(`${id}: no result in run ${run}`);
  const outcome = patchClass(r);
  if (outcome === 'tool-error' || outcome === 'load-failed' || outcome === 'flaky')
    throw new Error(`${id}: ${outcome} is a bug to fix, not an expected outcome`);
  return {
    id,
    file: r.file,
    class: r.class,
    target: r.target,
    // The kernel test checks loading; whether the calls were counted depends on the workloads.
    expected: outcome === 'built-loaded-exercised' ? 'built-and-loaded' : outcome,
    ...(outcome === 'refused' ? { category: r.build.category ?? 'other' } : {}),
  };
});
const out = join(import.meta.dirname, '../../test/kernel/corpus/real-fixes.json');
await writeFile(
  out,
  JSON.stringify(
    {
      corpus: `${OLD_VERSION}..${NEW_VERSION}`,
      release: RELEASE,
      note: `chosen once from corpus run ${run} (${corpusDir().replace(homedir(), '~')}); the patches are made again from the two linux-source-6.1 trees`,
      patches,
    },
    null,
    2,
  ) + '\n',
);
console.log(`${out}: ${patches.length} patches`);
