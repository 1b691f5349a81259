// npm run corpus:run -- [--per-class bodies=20,new-functions=8,...] [--seed N] [--ids FILE.json]
//   [--name RUN] [--batch K] [--jobs J] [--no-vm] [--summary FILE.md] [--max-includers N]
// Runs a fixed, seeded sample of the corpus (or the ids of FILE.json) through
// `tsbuild-patch batch --kernel 6.1.0-50-amd64 --json --jobs J` (K patches per batch, J building
// at once), proves every built module in Debian's kernel under qemu (the batch's modules in one
// boot), and writes results (JSON lines, resumable) and a markdown summary under
// <corpus>/runs/RUN/. A patch whose livepatch failed to load is tried again on resume; every
// attempt is kept (results.ts), and a failure followed by a pass is counted as flaky.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stderrLogger as log } from '../../src/util/log.js';
import { withHeavyLock } from './heavy-lock.js';
import { readManifest, type CorpusEntry } from './manifest.js';
import { runsDir } from './paths.js';
import { appendResult, finalOutcome, readResults, type PatchResult } from './results.js';
import { sampleEntries } from './sample.js';
import { summarize } from './summary.js';
import { buildGroup, TOOL_BIN, type BuildResult } from './tool-run.js';
import { proveInVm, type VmCandidate } from './vm-batch.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const seed = Number(option('--seed') ?? 10);
const perClass: Record<string, number> = { bodies: 20, 'new-functions': 8, data: 8, init: 6, headers: 6 };
for (const item of (option('--per-class') ?? '').split(',').filter(Boolean)) {
  const [cls, n] = item.split('=');
  perClass[cls!] = Number(n);
}
const batch = Number(option('--batch') ?? 6);
const jobs = Number(option('--jobs') ?? 2);
const runName = option('--name') ?? `seed${seed}`;
const maxIncluders = Number(option('--max-includers') ?? 20);

const manifest = await readManifest();
let selected: CorpusEntry[];
const idsFile = option('--ids');
if (idsFile) {
  const wanted = (JSON.parse(await readFile(idsFile, 'utf8')) as { patches: Array<{ id: string }> }).patches.map(
    (p) => p.id,
  );
  selected = wanted.map((id) => {
    const entry = manifest.entries.find((e) => e.id === id);
    if (!entry) throw new Error(`${id}: not in the corpus manifest`);
    return entry;
  });
} else selected = sampleEntries(manifest.entries, perClass, seed, maxIncluders);

const dir = join(runsDir(), runName);
await mkdir(join(dir, 'modules'), { recursive: true });
const resultsFile = join(dir, 'results.jsonl');
const done = new Map((await readResults(resultsFile)).map((r) => [r.id, r]));
log(`corpus run ${runName}: ${selected.length} patches (${done.size} already done), results in ${resultsFile}`);

const record = async (entry: CorpusEntry, build: BuildResult, vm?: PatchResult['vm']) => {
  const before = done.get(entry.id);
  const result: PatchResult = {
    id: entry.id,
    file: entry.file,
    class: entry.class,
    target: entry.target,
    build,
    ...(vm ? { vm } : {}),
    outcome: finalOutcome(build, vm),
    ...(before ? { earlier: [...(before.earlier ?? []), { ...before, earlier: undefined }] } : {}),
  };
  done.set(entry.id, result);
  await appendResult(resultsFile, result);
  log(
    `${result.outcome.padEnd(22)} ${entry.file} (${entry.class}, ${entry.target}, ${build.seconds.toFixed(1)} s)${build.category ? ` [${build.category}]` : ''}${vm && !vm.loaded ? `: ${vm.problems.join('; ')}` : ''}${vm?.loaded ? ` [workload ${vm.workload}: ${vm.exercise?.verdict ?? 'not counted'}]` : ''}`,
  );
};

const todo = selected.filter((entry) => !done.has(entry.id) || done.get(entry.id)!.outcome === 'load-failed');
const started = Date.now();
let buildSeconds = 0;
for (let i = 0; i < todo.length; i += batch) {
  const group = todo.slice(i, i + batch);
  const groupStarted = Date.now();
  const builds = await buildGroup(group, join(dir, 'modules'), { jobs });
  buildSeconds += (Date.now() - groupStarted) / 1000;
  log(`batch of ${group.length}: built in ${((Date.now() - groupStarted) / 1000).toFixed(0)} s (${jobs} at once)`);
  const built = group.map((entry, k) => ({ entry, build: builds[k]! })).filter((p) => p.build.outcome === 'built');
  for (const [k, entry] of group.entries()) if (builds[k]!.outcome !== 'built') await record(entry, builds[k]!);
  if (built.length === 0) continue;
  if (args.includes('--no-vm')) {
    for (const p of built) await record(p.entry, p.build);
    continue;
  }
  const candidates: VmCandidate[] = built.map((p) => ({
    id: p.entry.id,
    file: p.entry.file,
    module: p.build.module!,
    ko: p.build.ko!,
    functions: p.build.functions ?? {},
  }));
  log(`booting 6.1.0-50-amd64 with ${candidates.length} livepatches`);
  const verdicts = await withHeavyLock(() => proveInVm(candidates));
  for (const p of built)
    await record(
      p.entry,
      p.build,
      verdicts.find((v) => v.id === p.entry.id),
    );
}
if (todo.length > 0) {
  log(
    `${todo.length} patches in ${((Date.now() - started) / 1000).toFixed(0)} s; builds ${buildSeconds.toFixed(0)} s (${(buildSeconds / todo.length).toFixed(1)} s per patch, ${jobs} at once)`,
  );
}

const results = selected.map((e) => done.get(e.id)!).filter(Boolean);
const toolDir = dirname(dirname(TOOL_BIN));
const head = existsSync(join(toolDir, 'COMMIT'))
  ? `commit ${readFileSync(join(toolDir, 'COMMIT'), 'utf8').trim()} (${toolDir})`
  : execSync('git rev-parse --short HEAD', { encoding: 'utf8', cwd: toolDir }).trim() +
    (execSync('git status --porcelain src', { encoding: 'utf8', cwd: toolDir }).trim() ? '+uncommitted src' : '');
const markdown = summarize(manifest, results, {
  seed,
  command: `npm run corpus:run -- ${args.join(' ')}`.trim(),
  head,
});
await writeFile(join(dir, 'summary.md'), markdown + '\n');
await writeFile(join(dir, 'results.json'), JSON.stringify(results, null, 1));
const summaryFile = option('--summary');
if (summaryFile) await writeFile(summaryFile, markdown + '\n');
process.stdout.write(markdown + '\n');
