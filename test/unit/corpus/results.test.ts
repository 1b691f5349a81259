/**
 * What a corpus entry comes to (scripts/corpus/results.ts, summary.ts): loaded apart from
 * exercised, a target module that does not load never "loaded", every attempt kept when results
 * are read back, a failure followed by a pass on retry flaky, and the summary's columns.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendResult,
  finalOutcome,
  patchClass,
  readResults,
  type PatchResult,
} from '../../../scripts/corpus/results.js';
import { summarize } from '../../../scripts/corpus/summary.js';
import type { Manifest } from '../../../scripts/corpus/manifest.js';
import type { BuildResult } from '../../../scripts/corpus/tool-run.js';
import type { VmVerdict } from '../../../scripts/corpus/vm-batch.js';
import { exerciseVerdict, type FunctionCalls } from '../../../src/report/exercise.js';

const built: BuildResult = { id: 'x', outcome: 'built', exitCode: 0, seconds: 1, command: 'tsbuild-patch batch' };
const calls = (n: number | null): FunctionCalls => ({
  object: 'vmlinux',
  function: 'f',
  sympos: 1,
  symbol: 'tsbp_new_f',
  calls: n,
  ...(n === null ? { reason: 'no kprobe events' } : {}),
});
const vm = (over: Partial<VmVerdict> = {}, count: number | null = 4): VmVerdict => ({
  id: 'x',
  loaded: true,
  problems: [],
  sysfs: ['vmlinux/f,1'],
  targetsLoaded: {},
  workload: 'proc',
  exercise: { module: 'livepatch_x', verdict: exerciseVerdict([calls(count)]), functions: [calls(count)] },
  log: '',
  ...over,
});
const result = (id: string, verdict: VmVerdict | undefined, build = built): PatchResult => ({
  id,
  file: `fs/proc/${id}.c`,
  class: 'bodies',
  target: 'vmlinux',
  build,
  ...(verdict ? { vm: verdict } : {}),
  outcome: finalOutcome(build, verdict),
});

describe('finalOutcome', () => {
  it('tells a livepatch whose functions ran from one that only loaded', () => {
    expect(finalOutcome(built, vm())).toBe('built-loaded-exercised');
    expect(finalOutcome(built, vm({}, 0))).toBe('built-and-loaded');
    expect(finalOutcome(built, vm({}, null))).toBe('built-and-loaded');
    expect(finalOutcome(built, vm({ exercise: undefined }))).toBe('built-and-loaded');
  });

  it('never calls "loaded" a livepatch whose target module did not load', () => {
    // Loaded, waiting for its target: its functions were never switched.
    expect(finalOutcome(built, vm({ targetsLoaded: { hv_netvsc: false } }, 0))).toBe('target-unavailable');
    // Not loaded for want of the target's exports.
    expect(
      finalOutcome(built, vm({ loaded: false, problems: ['insmod failed'], targetsLoaded: { hv_netvsc: false } })),
    ).toBe('target-unavailable');
    // Something else went wrong as well: a failure to look at.
    expect(
      finalOutcome(built, vm({ loaded: false, problems: ['kernel log: WARNING: x'], targetsLoaded: { a: false } })),
    ).toBe('load-failed');
    expect(finalOutcome(built, vm({ loaded: false, problems: ['insmod failed'], targetsLoaded: { a: true } }))).toBe(
      'load-failed',
    );
    expect(finalOutcome(built, undefined)).toBe('load-failed');
    expect(finalOutcome({ ...built, outcome: 'refused' }, undefined)).toBe('refused');
  });
});

describe('attempts', () => {
  let tmp: DirectoryResult;
  beforeEach(async () => {
    tmp = await dir({ unsafeCleanup: true });
  });
  afterEach(async () => tmp.cleanup());

  it('are appended and all read back, the last one counting, the earlier ones kept', async () => {
    const file = join(tmp.path, 'results.jsonl');
    const failed = result('a', vm({ loaded: false, problems: ['transition did not complete'] }));
    await appendResult(file, failed);
    await appendResult(file, result('b', vm()));
    await appendResult(file, { ...result('a', vm()), earlier: [failed] });
    // The file holds every attempt once: the earlier ones are not written again.
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(3);
    const [a, b] = await readResults(file);
    expect(a!.id).toBe('a');
    expect(a!.outcome).toBe('built-loaded-exercised');
    expect(a!.earlier?.map((r) => r.outcome)).toEqual(['load-failed']);
    expect(b!.earlier).toBeUndefined();
  });

  it('of several runs are read in the order given', async () => {
    const first = join(tmp.path, 'one.jsonl');
    const second = join(tmp.path, 'two.jsonl');
    await appendResult(first, result('a', vm({ loaded: false, problems: ['rmmod failed'] })));
    await appendResult(second, result('a', vm({}, 0)));
    const [a] = await readResults(first, second, join(tmp.path, 'missing.jsonl'));
    expect([...(a!.earlier ?? []), a!].map((r) => r.outcome)).toEqual(['load-failed', 'built-and-loaded']);
  });

  it('a failure, then a pass on retry, is flaky; the same outcome twice is not', () => {
    const failed = result('a', vm({ loaded: false, problems: ['disable failed'] }));
    expect(patchClass({ ...result('a', vm()), earlier: [failed] })).toBe('flaky');
    expect(patchClass({ ...failed, earlier: [result('a', vm())] })).toBe('flaky');
    expect(patchClass({ ...failed, earlier: [failed] })).toBe('load-failed');
    expect(patchClass({ ...result('a', vm({}, 0)), earlier: [result('a', vm())] })).toBe('built-and-loaded');
    expect(patchClass(result('a', vm()))).toBe('built-loaded-exercised');
  });
});

describe('summarize', () => {
  const manifest = { counts: { bodies: 10 } } as unknown as Manifest;

  it('counts exercised apart from loaded, flaky apart from both, and lists what did not run', () => {
    const failed = result('c', vm({ loaded: false, problems: ['transition did not complete'] }));
    const markdown = summarize(
      manifest,
      [
        result('a', vm()),
        result('b', vm({ workload: 'none' }, 0)),
        { ...result('c', vm()), earlier: [failed] },
        result('d', vm({ targetsLoaded: { hv_vmbus: false } })),
      ],
      { seed: 1, command: 'npm run corpus:run', head: 'abc' },
    );
    const row = markdown.split('\n').find((line) => line.startsWith('| bodies |'))!;
    // exercised, loaded not exercised, flaky, refused, no change, needs header, target unavailable, load failed, tool error
    expect(row).toBe('| bodies | 10 | 4 | 1 | 1 | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 67% (2/3) | 33% (1/3) |');
    expect(markdown).toContain('- proc: 1 of 1 exercised');
    expect(markdown).toContain(
      '- `fs/proc/b.c` (bodies, vmlinux): workload none: not-exercised (vmlinux/f,1: 0 calls)',
    );
    expect(markdown).toContain(
      '- `fs/proc/c.c` (bodies, vmlinux): load-failed (transition did not complete), then built-loaded-exercised',
    );
  });
});
