// End-to-end benchmark: build a one-file livepatch and print the time of each stage. Runs the
// compiled tool (dist/), so TypeScript transpilation is not counted.
// Usage: npm run bench:e2e [-- --runs N] [-- --kernel RELEASE [--cold [--packages-cached]]]
//          [-- --container none|podman|docker] [-- PATCH]
//   without --kernel: the built-in test kernel, original build cached (warm runs only);
//   --kernel RELEASE: a distribution kernel (e.g. 6.1.0-57-amd64); with --cold, the first run
//   starts from an empty cache (packages downloaded, nothing prepared) and is reported too;
//   --packages-cached: the cold cache starts with the release's packages and the package lists
//   of the normal cache (hard links), so the cold run times the work, not the download;
//   --container: where the kernel objects are built (default none: this host's compiler; a
//   kernel built with another, e.g. Debian 13's gcc-14, needs its builder image: podman).
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';

const args = process.argv.slice(2);
const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(option('--runs') ?? 3);
const kernel = option('--kernel');
const cold = args.includes('--cold');
const packagesCached = args.includes('--packages-cached');
const container = option('--container') ?? 'none';
const patch = resolve(args.find((a) => a.endsWith('.patch')) ?? 'examples/cmdline-string.patch');
let coldCache;
if (cold) {
  const { cacheRoot } = await import('../dist/util/cache.js');
  const warm = cacheRoot();
  coldCache = mkdtempSync(`${tmpdir()}/tsbp-bench-cold-`);
  if (packagesCached) {
    // The release's packages (kernels/<distribution>/<release>_<version>) and the apt lists.
    const { distroOf } = await import('../dist/kernel/distributions.js');
    const distro = distroOf(kernel ?? '');
    for (const part of ['apt', ...(distro ? [`kernels/${distro.id}`] : [])]) {
      if (existsSync(`${warm}/${part}`)) cpSync(`${warm}/${part}`, `${coldCache}/${part}`, { recursive: true });
    }
  }
  process.env.TSBUILD_PATCH_CACHE = coldCache;
}
const { selectRunner } = await import('../dist/toolchain/container/select-runner.js');
const runner = await selectRunner(container, () => {});
const { runPipeline } = await import('../dist/pipeline/run.js');

async function once(log) {
  const started = performance.now();
  const report = await runPipeline({
    patches: [patch],
    target: kernel ? { kernel } : {},
    runner,
    output: `${tmpdir()}/tsbp-bench-e2e.ko`,
    replace: true,
    keepTmp: false,
    log,
  });
  return { report, total: (performance.now() - started) / 1000 };
}

function show(title, results) {
  const stages = results[0].report.stages.map((s) => s.name);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\n${title} (seconds, median [min-max]):`);
  for (const name of stages) {
    const xs = results.map((r) => r.report.stages.find((s) => s.name === name)?.seconds ?? 0);
    console.log(
      `  ${name.padEnd(16)} ${median(xs).toFixed(2)}  [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`,
    );
  }
  const totals = results.map((r) => r.total);
  console.log(
    `  ${'total'.padEnd(16)} ${median(totals).toFixed(2)}  [${Math.min(...totals).toFixed(2)}-${Math.max(...totals).toFixed(2)}]`,
  );
}

const target = kernel ? `kernel ${kernel}` : 'the test kernel';
try {
  console.log(
    `${cold ? `cold run (empty cache ${coldCache})` : 'warming up (provisions what is missing)'}: ${patch} for ${target}`,
  );
  const first = await once(cold ? (line) => console.log(`  ${line}`) : () => {});
  if (cold)
    show(
      `cold: empty cache${packagesCached ? ' but the packages' : ', packages downloaded'}, tree prepared, one object built`,
      [first],
    );
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(() => {}));
  show(`${runs} warm runs (${kernel ? 'tree prepared, original objects cached' : 'original build cached'})`, results);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  if (coldCache) rmSync(coldCache, { recursive: true, force: true });
}
