/**
 * Benchmark the differ on the peer corpus: every pair diffed (and its patch object encoded)
 * in one process. Prints the total time, the slowest pair and the peak RSS.
 *
 *   npm run bench:diff [-- --rounds N]
 *
 * The first round includes JIT warm-up; later rounds show the steady state.
 */
import { diffObjects } from '../src/diff/diff-objects.js';
import { buildPatchObject } from '../src/diff/output.js';
import { writeRelocatable } from '../src/elf/write/write-relocatable.js';
import { corpusAvailable, CORPUS_DIR, entrySizesFor, loadCorpus } from '../test/unit/diff/corpus-cases.js';

if (!corpusAvailable()) {
  console.error(`bench:diff: corpus not found at ${CORPUS_DIR}`);
  process.exit(1);
}

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 1;
const cases = loadCorpus();
let peakRss = process.memoryUsage.rss();

for (let round = 1; round <= rounds; round++) {
  const started = performance.now();
  let slowest = { name: '', ms: 0 };
  for (const c of cases) {
    const t = performance.now();
    const result = diffObjects({ original: c.orig, patched: c.patched, entrySizes: entrySizesFor(c) });
    if (result.outcome === 'changed') writeRelocatable(buildPatchObject(result.patched, `${c.name}.patch.o`));
    const ms = performance.now() - t;
    if (ms > slowest.ms) slowest = { name: c.name, ms };
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const total = performance.now() - started;
  console.log(
    `round ${round}: ${cases.length} pairs in ${(total / 1000).toFixed(2)} s; slowest ${slowest.name} ${(slowest.ms / 1000).toFixed(3)} s; ` +
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
}
