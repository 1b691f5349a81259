/**
 * One benchmark process of `npm run bench:diff` (see bench-diff.ts, which compiles this file
 * with tsc and runs it under plain node): diffs every corpus pair (and encodes its patch
 * object) `--rounds N` times and prints one JSON line with the figures of each round.
 *
 * Round 1 is the cold run: the first pass through the code in a fresh process, JIT warm-up
 * and heap growth included. Module loading happens before it and is reported apart.
 */
import { openSync, readSync } from 'node:fs';
import { diffObjects } from '../src/diff/diff-objects.js';
import { buildPatchObject } from '../src/diff/output.js';
import { writeRelocatable } from '../src/elf/write/write-relocatable.js';
import {
  corpusAvailable,
  corpusMissing,
  entrySizesFor,
  loadCorpus,
  type CorpusCase,
} from '../test/unit/diff/corpus-cases.js';

/** performance.now() counts from the start of the process: this is node start-up plus module loading. */
const loadedAt = performance.now();

export interface RoundFigures {
  totalMs: number;
  slowestName: string;
  slowestMs: number;
  /** CPU time of the process during the round (main thread plus GC and JIT threads). */
  cpuMs: number;
  /** CPU time of the main thread alone (Linux schedstat; NaN elsewhere): the round's own work. */
  mainCpuMs: number;
  /** The most main-thread CPU time one pair took (less disturbed by other load than slowestMs). */
  slowestMainCpuMs: number;
  peakRssBytes: number;
}

export interface RunFigures {
  startupMs: number;
  pairs: number;
  rounds: RoundFigures[];
}

/** The main thread's schedstat, kept open: a read is one pread, cheap enough to do around every pair. */
const schedstat = openSchedstat();
const schedstatBytes = Buffer.alloc(128);

function openSchedstat(): number | undefined {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
}

/** Nanoseconds the main thread has run (Linux: first field of its schedstat); NaN elsewhere. */
function mainThreadCpuNs(): number {
  if (schedstat === undefined) return Number.NaN;
  const length = readSync(schedstat, schedstatBytes, 0, schedstatBytes.length, 0);
  return Number(schedstatBytes.toString('latin1', 0, length).split(' ')[0]);
}

function runRound(cases: readonly CorpusCase[]): RoundFigures {
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuNs();
  const started = performance.now();
  let slowestName = '';
  let slowestMs = 0;
  let slowestMainCpuMs = 0;
  for (const c of cases) {
    const pairMainBefore = mainThreadCpuNs();
    const t = performance.now();
    const result = diffObjects({
      original: c.orig,
      patched: c.patched,
      entrySizes: entrySizesFor(c),
      // The corpus's objects were built without line keeping: read as the reference reads them.
      lineNumbers: 'guessed',
    });
    if (result.outcome === 'changed') writeRelocatable(buildPatchObject(result.patched, `${c.name}.patch.o`));
    const ms = performance.now() - t;
    slowestMainCpuMs = Math.max(slowestMainCpuMs, (mainThreadCpuNs() - pairMainBefore) / 1e6);
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestName = c.name;
    }
  }
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const mainCpuMs = (mainThreadCpuNs() - mainBefore) / 1e6;
  // The kernel's high-water mark of the process (getrusage), read after the pairs.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    totalMs,
    slowestName,
    slowestMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs,
    slowestMainCpuMs,
    peakRssBytes,
  };
}

if (!corpusAvailable()) {
  console.error(`bench:diff: ${corpusMissing()}`);
  process.exit(1);
}
const roundsArg = process.argv.indexOf('--rounds');
const roundCount = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 1;
if (!Number.isInteger(roundCount) || roundCount < 1) {
  console.error('bench:diff: --rounds needs a positive integer');
  process.exit(1);
}

const cases = loadCorpus();
const figures: RunFigures = { startupMs: loadedAt, pairs: cases.length, rounds: [] };
for (let round = 1; round <= roundCount; round++) figures.rounds.push(runRound(cases));
console.log(JSON.stringify(figures));
