/**
 * Benchmark the differ on the peer corpus: every pair diffed (and its patch object encoded)
 * in one process.
 *
 *   npm run bench:diff [-- --runs N] [--rounds N]
 *
 * What is measured: the JS that tsc emits (scripts/tsconfig.bench.json compiles the worker,
 * bench-diff-rounds.ts, and the sources it imports with the project's options) run by plain
 * node, never tsx's on-the-fly transpilation. Each run is a fresh node process:
 * - cold: its first round over the 55 pairs (JIT warm-up, heap growth, first reads of the
 *   files included), the figure the performance target is about;
 * - warm: its later rounds (--rounds, default 3), the steady state;
 * - start-up: node start plus loading the compiled modules, before the first round (not in
 *   the round totals);
 * - CPU: user + system time of the process during the round (GC and JIT threads included);
 *   main: CPU time of the main thread alone (Linux), the round's own work, which is much less
 *   disturbed than wall time when the machine is shared (it excludes time spent waiting for
 *   a core, but also the work of the JIT and GC helper threads);
 * - peak RSS: the process's high-water mark (getrusage).
 * Totals are printed per run, then min / median over the runs (--runs, default 5).
 */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import type { RoundFigures, RunFigures } from './bench-diff-rounds.js';

const scriptsDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = fileURLToPath(new URL('..', import.meta.url));
const compiledWorker = fileURLToPath(
  new URL('../node_modules/.cache/bench-diff/scripts/bench-diff-rounds.js', import.meta.url),
);

function positiveOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench:diff: ${name} needs a positive integer`);
    process.exit(1);
  }
  return value;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function minMedian(values: readonly number[], format: (value: number) => string): string {
  return `min ${format(Math.min(...values))}, median ${format(median(values))}`;
}

function describeRound(round: RoundFigures): string {
  return (
    `${seconds(round.totalMs)} (CPU ${seconds(round.cpuMs)}, main ${seconds(round.mainCpuMs)}), ` +
    `slowest ${round.slowestName} ${seconds(round.slowestMs)} (main ${seconds(round.slowestMainCpuMs)})`
  );
}

const runCount = positiveOption('--runs', 5);
const roundCount = positiveOption('--rounds', 3);

console.log('bench:diff: compiling the differ with tsc (scripts/tsconfig.bench.json)');
await execa('npx', ['tsc', '-p', `${scriptsDir}tsconfig.bench.json`], { cwd: repoDir, stdio: 'inherit' });

const runs: RunFigures[] = [];
for (let run = 1; run <= runCount; run++) {
  const { stdout } = await execa('node', [compiledWorker, '--rounds', String(roundCount)], {
    cwd: repoDir,
    stderr: 'inherit',
  });
  const figures = JSON.parse(stdout) as RunFigures;
  runs.push(figures);
  const [cold, ...warm] = figures.rounds as [RoundFigures, ...RoundFigures[]];
  const warmText = warm.length > 0 ? `; warm ${warm.map((round) => seconds(round.totalMs)).join(' ')}` : '';
  console.log(
    `run ${run}: start-up ${seconds(figures.startupMs)}; cold ${figures.pairs} pairs ${describeRound(cold)}${warmText}; ` +
      `peak RSS ${mib(Math.max(...figures.rounds.map((round) => round.peakRssBytes)))}`,
  );
}

const colds = runs.map((run) => run.rounds[0] as RoundFigures);
const warms = runs.flatMap((run) => run.rounds.slice(1));
console.log(
  `cold total:   ${minMedian(
    colds.map((round) => round.totalMs),
    seconds,
  )}`,
);
console.log(
  `  CPU:        ${minMedian(
    colds.map((round) => round.cpuMs),
    seconds,
  )}; main thread ${minMedian(
    colds.map((round) => round.mainCpuMs),
    seconds,
  )}`,
);
console.log(
  `cold slowest: ${minMedian(
    colds.map((round) => round.slowestMs),
    seconds,
  )}; main thread ${minMedian(
    colds.map((round) => round.slowestMainCpuMs),
    seconds,
  )}`,
);
if (warms.length > 0) {
  console.log(
    `warm total:   ${minMedian(
      warms.map((round) => round.totalMs),
      seconds,
    )}; slowest ${minMedian(
      warms.map((round) => round.slowestMs),
      seconds,
    )}`,
  );
}
console.log(
  `start-up:     ${minMedian(
    runs.map((run) => run.startupMs),
    seconds,
  )}`,
);
console.log(
  `peak RSS:     max ${mib(Math.max(...runs.flatMap((run) => run.rounds.map((round) => round.peakRssBytes))))}`,
);
