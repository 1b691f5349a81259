// End-to-end benchmark: build the example livepatch (one-file patch) with the original build
// cached, and print the time of each stage. Runs the compiled tool (dist/), so TypeScript
// transpilation is not counted. Usage: npm run bench:e2e [-- --runs N] [-- PATCH]
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { hostRunner } from '../dist/build/runner.js';
import { runPipeline } from '../dist/pipeline/run.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const patch = resolve(args.find((a) => a.endsWith('.patch')) ?? 'examples/cmdline-string.patch');

async function once(log) {
  const started = performance.now();
  const report = await runPipeline({
    patches: [patch], target: {}, runner: hostRunner, output: `${tmpdir()}/tsbp-bench-e2e.ko`,
    replace: true, keepTmp: false, log,
  });
  return { report, total: (performance.now() - started) / 1000 };
}

console.log(`warming up (provisions the test kernel and the original build if needed): ${patch}`);
await once(() => {});
const results = [];
for (let i = 0; i < runs; i++) results.push(await once(() => {}));
const stages = results[0].report.stages.map((s) => s.name);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n${runs} runs, original build cached (seconds, median [min-max]):`);
for (const name of stages) {
  const xs = results.map((r) => r.report.stages.find((s) => s.name === name)?.seconds ?? 0);
  console.log(`  ${name.padEnd(16)} ${median(xs).toFixed(2)}  [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`);
}
const totals = results.map((r) => r.total);
console.log(`  ${'total'.padEnd(16)} ${median(totals).toFixed(2)}  [${Math.min(...totals).toFixed(2)}-${Math.max(...totals).toFixed(2)}]`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
