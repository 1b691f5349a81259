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
// Reported, in one run on the same machine:
//   warm-new:  a fix the tree has not seen (its original object and any kept module link removed
//              first, so the original is compiled, then the patched object, then the module);
//   warm-same: the same fix again (everything the tool keeps is there);
//   floor:     the compiles and the link alone, with the commands kbuild recorded for them (the
//              object's .cmd, the module's compile and final link), through the same runner:
//              warm-new's floor is two object compiles and the module's, warm-same's one and the
//              module's. Each warm figure is printed with its ratio to its floor.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
      // Hard links (cp -al), as the usage says: a copy would write the ~1.3 GB of packages just
      // before the timed run, and their writeback would slow its unpack (cold runs of 58-70 s
      // where the first, on a quiet disk, took 48 s).
      if (existsSync(`${warm}/${part}`)) {
        mkdirSync(dirname(`${coldCache}/${part}`), { recursive: true });
        execFileSync('cp', ['-al', `${warm}/${part}`, `${coldCache}/${part}`]);
      }
    }
  }
  process.env.TSBUILD_PATCH_CACHE = coldCache;
}
const { selectRunner } = await import('../dist/toolchain/container/select-runner.js');
const runner = await selectRunner(container, () => {});
// Where the kernel's own compiler is (a distribution's builder image): the floor compiles there.
const { distroOf: distributionOf } = await import('../dist/kernel/distributions.js');
const kernelDistro = kernel ? distributionOf(kernel) : undefined;
const floorRunner = (kernelDistro && (await runner.forDistribution?.(kernelDistro))) ?? runner;
const { runPipeline } = await import('../dist/pipeline/run.js');

async function once(log, { keepTmp = false } = {}) {
  const started = performance.now();
  let kept;
  const report = await runPipeline({
    patches: [patch],
    target: kernel ? { kernel } : {},
    runner,
    output: `${tmpdir()}/tsbp-bench-e2e.ko`,
    replace: true,
    keepTmp,
    log: (line) => {
      kept ??= /^keeping temporary files in (\S+)/.exec(line)?.[1];
      log(line);
    },
  });
  return { report, total: (performance.now() - started) / 1000, kept };
}

const { compileAsRecorded, recordedCommand } = await import('../dist/kbuild/recorded-compile.js');
const { runBuildCommand, kbuildEnv } = await import('../dist/kbuild/make.js');
const { cmdFileOf } = await import('../dist/kbuild/object-index.js');

/** Make the tree forget the fix: its original objects and the module links it keeps. */
function forget(report) {
  for (const { object } of report.objects) {
    rmSync(join(report.tree, object), { force: true });
    rmSync(join(report.tree, cmdFileOf(object)), { force: true });
  }
  rmSync(join(dirname(report.tree), 'linked-modules'), { recursive: true, force: true });
}

async function timed(action) {
  const started = performance.now();
  await action();
  return (performance.now() - started) / 1000;
}

/** The compiles and the link alone (see the top), for the objects of REPORT and the module kept in KEPT. */
async function floor(report, kept) {
  const logFile = `${kept}/floor.log`;
  const objects = report.objects.map((o) => o.object);
  const compile = await timed(async () => {
    if (!(await compileAsRecorded({ tree: report.tree, objects, logFile, what: 'floor', runner: floorRunner })))
      throw new Error(`no recorded command to replay for ${objects.join(' ')}`);
  });
  const moduleDir = `${kept}/module`;
  const steps = ['livepatch-module.o', `${report.module}.ko`].map((file) => {
    const command = recordedCommand(readFileSync(`${moduleDir}/.${file}.cmd`, 'utf8'));
    if (!command) throw new Error(`no recorded command in ${moduleDir}/.${file}.cmd`);
    return `( ${command} )`;
  });
  const script = steps.join(' && ');
  const module = await timed(() =>
    runBuildCommand({
      tree: report.tree,
      file: 'sh',
      args: ['-c', script],
      commandLine: script,
      summary: 'the module compile and link',
      logFile,
      what: 'floor',
      runner: floorRunner,
      env: kbuildEnv(),
      objects: 1,
      keepGoing: false,
      cwd: report.tree,
    }),
  );
  return { compile, module };
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
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fresh = [];
  for (let i = 0; i < runs; i++) {
    forget(first.report);
    fresh.push(await once(() => {}));
  }
  show(`warm-new, ${runs} runs (the fix's original objects and module link removed before each)`, fresh);
  const same = [];
  for (let i = 0; i < runs; i++) same.push(await once(() => {}));
  show(
    `warm-same, ${runs} runs (${kernel ? 'tree prepared, original objects cached' : 'original build cached'})`,
    same,
  );
  // A run whose module is linked (not taken from the tree's kept links), its files kept: the
  // floor replays the commands kbuild recorded for that link.
  rmSync(join(dirname(first.report.tree), 'linked-modules'), { recursive: true, force: true });
  const kept = await once(() => {}, { keepTmp: true });
  const floors = [];
  for (let i = 0; i < runs; i++) floors.push(await floor(kept.report, kept.kept));
  rmSync(kept.kept, { recursive: true, force: true });
  const compile = median(floors.map((f) => f.compile));
  const module = median(floors.map((f) => f.module));
  const newFloor = 2 * compile + module;
  const sameFloor = compile + module;
  console.log(
    `\nfloor (seconds, median of ${runs}): object compile ${compile.toFixed(2)}, module compile and link ${module.toFixed(2)}`,
  );
  const newTotal = median(fresh.map((r) => r.total));
  const sameTotal = median(same.map((r) => r.total));
  console.log(
    `  warm-new  ${newTotal.toFixed(2)} s = ${(newTotal / newFloor).toFixed(2)}x its floor ${newFloor.toFixed(2)} s`,
  );
  console.log(
    `  warm-same ${sameTotal.toFixed(2)} s = ${(sameTotal / sameFloor).toFixed(2)}x its floor ${sameFloor.toFixed(2)} s`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  if (coldCache) rmSync(coldCache, { recursive: true, force: true });
}
