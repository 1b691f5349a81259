// Batch benchmark: one module per patch for one kernel, built one at a time (--jobs 1) and two
// at a time (--jobs 2, each in its own copy of the prepared tree). Before each measured run the
// original objects of the patched files are removed from the tool's trees, so every run compiles
// originals, patched objects and modules as a batch of new fixes does (the module links the
// trees keep are removed too). Runs the compiled tool (dist/).
// Usage: npm run bench:batch [-- --kernel RELEASE] [-- --rounds N] [-- PATCH...]
//   default: the newest Debian 12 release the archive can build (`--kernel newest`) and the
//   Debian test patches plus two generic ones.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const kernel = option('--kernel') ?? 'newest';
const rounds = Number(option('--rounds') ?? 2);
const given = args.filter((a) => a.endsWith('.patch')).map((p) => resolve(p));
const patches =
  given.length > 0
    ? given
    : [
        ...readdirSync('test/patches/debian')
          .filter((f) => f.endsWith('.patch'))
          .map((f) => resolve('test/patches/debian', f)),
        resolve('test/patches/proc-version-string.patch'),
        resolve('test/patches/refuse-init.patch'),
      ];
const { hostRunner } = await import('../dist/toolchain/runner.js');
const { runBatch } = await import('../dist/pipeline/batch.js');

/** The objects a patch changes (its C files; headers' users are not removed). */
const objectsOf = (patch) =>
  [...readFileSync(patch, 'utf8').matchAll(/^\+\+\+ b\/(\S+)\.c$/gm)].map((m) => `${m[1]}.o`);

/** Every copy of the tool's tree for this kernel: the tree and its slots/N copies. */
function treeCopies(tree) {
  const entry = tree.includes('/slots/') ? tree.slice(0, tree.indexOf('/slots/')) : dirname(tree);
  const slots = readdirSync(join(entry, 'slots'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(entry, 'slots', d.name, 'linux'));
  return [join(entry, 'linux'), ...slots];
}

async function batch(parallel) {
  const started = performance.now();
  const outcomes = await runBatch({
    patches,
    target: { kernel },
    runner: hostRunner,
    outputDir: join(tmpdir(), 'tsbp-bench-batch'),
    parallel,
    replace: true,
    keepTmp: false,
    log: () => {},
  });
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}

console.log(`${patches.length} patches for ${kernel}; warming up (both tree copies made, packages fetched)`);
const warm = await batch(2);
const tree = warm.outcomes.find((o) => o.report?.tree)?.report.tree;
if (!tree)
  throw new Error(`no patch was built: ${warm.outcomes.map((o) => `${o.patch}: ${o.failure?.message}`).join('\n')}`);
const objects = patches.flatMap(objectsOf);
const results = { 1: [], 2: [] };
for (let round = 0; round < rounds; round++) {
  for (const jobs of [1, 2]) {
    for (const copy of treeCopies(tree)) {
      for (const object of objects) rmSync(join(copy, object), { force: true });
      // The module links a tree keeps (src/emit/module-build-cache.ts): new fixes have none.
      rmSync(join(dirname(copy), 'linked-modules'), { recursive: true, force: true });
    }
    const run = await batch(jobs);
    results[jobs].push(run);
    const built = run.outcomes.filter((o) => o.outcome === 'built').length;
    console.log(
      `  --jobs ${jobs}: ${run.seconds.toFixed(1)} s for ${patches.length} patches (${built} built; per patch ${run.outcomes.map((o) => o.seconds.toFixed(1)).join(' ')})`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const one = median(results[1].map((r) => r.seconds));
const two = median(results[2].map((r) => r.seconds));
console.log(
  `\nmedian of ${rounds}: --jobs 1 ${one.toFixed(1)} s, --jobs 2 ${two.toFixed(1)} s: ${(one / two).toFixed(2)}x; ${(two / patches.length).toFixed(1)} s per patch with --jobs 2`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
