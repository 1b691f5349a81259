/**
 * Counting the calls of a livepatch's functions in the guest: the shell helpers of the guest
 * library run (busybox sh, as in the guest, else sh) against a fake tracefs and livepatch sysfs,
 * the records they leave parsed as the host parses the CALLS payload, and the command lines the
 * host writes.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CALL_COUNT_LIBRARY,
  countStartCommand,
  countStopCommand,
  parseCallCounts,
} from '../../../src/vm/call-counts.js';
import { GUEST_INIT, GUEST_LIBRARY } from '../../../src/vm/guest-init.js';

const SHELL = existsSync('/bin/busybox') ? ['/bin/busybox', 'sh'] : ['sh'];

let tmp: DirectoryResult;
let tracing: string;
let klp: string;
let calls: string;

beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
  tracing = join(tmp.path, 'tracing');
  klp = join(tmp.path, 'livepatch');
  calls = join(tmp.path, 'calls');
});
afterEach(async () => tmp.cleanup());

/** A fake tracefs with kprobe events: the events the guest will define, their hits in kprobe_profile. */
async function fakeTracing(hits: Record<string, number>): Promise<void> {
  await mkdir(tracing, { recursive: true });
  await writeFile(join(tracing, 'kprobe_events'), '');
  for (const event of Object.keys(hits)) {
    await mkdir(join(tracing, 'events/tsbp', event), { recursive: true });
    await writeFile(join(tracing, 'events/tsbp', event, 'enable'), '0\n');
  }
  await writeFile(
    join(tracing, 'kprobe_profile'),
    Object.entries(hits)
      .map(([event, n]) => `  ${event.padEnd(44)} ${String(n).padStart(15)} ${'0'.padStart(15)}\n`)
      .join(''),
  );
}

/** A livepatch's sysfs: OBJECT → [patched, functions as FUNCTION,SYMPOS]. */
async function fakeLivepatch(module: string, objects: Record<string, [boolean, string[]]>): Promise<void> {
  for (const [object, [patched, functions]] of Object.entries(objects)) {
    await mkdir(join(klp, module, object), { recursive: true });
    await writeFile(join(klp, module, object, 'patched'), patched ? '1\n' : '0\n');
    for (const f of functions) await mkdir(join(klp, module, object, f));
  }
}

/** Run LINES with the guest library, `set -e` as the default script has it. */
async function guest(lines: string[]) {
  return execa(SHELL[0]!, [...SHELL.slice(1), '-c', ['set -e', CALL_COUNT_LIBRARY, ...lines].join('\n')], {
    env: { TSBP_TRACING: tracing, TSBP_KLP: klp, TSBP_CALLS: calls },
    reject: false,
  });
}

const records = async () => parseCallCounts(await readFile(calls, 'utf8'));

describe('klp_count_start / klp_count_stop in the guest', () => {
  it("probes each replacement by its module's symbol, reads its hits and removes the probes", async () => {
    await fakeTracing({ tsbp_calls_1: 5, tsbp_calls_2: 0 });
    await fakeLivepatch('livepatch_fix', {
      vmlinux: [true, ['cmdline_proc_show,1', 'version_proc_show,1', 'helper,2']],
      ext4: [false, ['ext4_foo,1']],
    });
    const start = countStartCommand('livepatch_fix', [
      {
        object: 'vmlinux',
        functions: [
          { name: 'cmdline_proc_show', sympos: 0, replacement: 'tsbp_new_cmdline_proc_show' },
          { name: 'version_proc_show', sympos: 0, replacement: 'tsbp_new_version_proc_show' },
          { name: 'helper', sympos: 2, replacement: undefined },
        ],
      },
      { object: 'ext4', functions: [{ name: 'ext4_foo', sympos: 0, replacement: 'tsbp_new_ext4_foo' }] },
    ]);
    const run = await guest([
      start,
      `cat ${tracing}/events/tsbp/tsbp_calls_1/enable`,
      countStopCommand('livepatch_fix'),
      'echo done',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toEqual([
      '1',
      'calls: livepatch_fix vmlinux/cmdline_proc_show,1: 5',
      'calls: livepatch_fix vmlinux/version_proc_show,1: 0',
      'calls: livepatch_fix vmlinux/helper,2: not measured (livepatch_fix has no symbol of its own for the replacement)',
      'calls: livepatch_fix ext4/ext4_foo,1: not measured (ext4 is not loaded, so the function is not patched)',
      'done',
    ]);
    expect((await readFile(join(tracing, 'kprobe_events'), 'utf8')).split('\n')).toEqual([
      'p:tsbp/tsbp_calls_1 livepatch_fix:tsbp_new_cmdline_proc_show',
      'p:tsbp/tsbp_calls_2 livepatch_fix:tsbp_new_version_proc_show',
      '-:tsbp/tsbp_calls_1',
      '-:tsbp/tsbp_calls_2',
      '',
    ]);
    expect(await readFile(join(tracing, 'events/tsbp/tsbp_calls_2/enable'), 'utf8')).toBe('0\n');
    const symbol = (name: string) => `tsbp_new_${name}`;
    expect(await records()).toEqual([
      {
        module: 'livepatch_fix',
        verdict: 'partly-exercised',
        functions: [
          {
            object: 'vmlinux',
            function: 'cmdline_proc_show',
            sympos: 1,
            symbol: symbol('cmdline_proc_show'),
            calls: 5,
          },
          {
            object: 'vmlinux',
            function: 'version_proc_show',
            sympos: 1,
            symbol: symbol('version_proc_show'),
            calls: 0,
          },
          {
            object: 'vmlinux',
            function: 'helper',
            sympos: 2,
            symbol: '-',
            calls: null,
            reason: 'livepatch_fix has no symbol of its own for the replacement',
          },
          {
            object: 'ext4',
            function: 'ext4_foo',
            sympos: 1,
            symbol: symbol('ext4_foo'),
            calls: null,
            reason: 'ext4 is not loaded, so the function is not patched',
          },
        ],
      },
    ]);
  });

  it('says "not measured" for every function of a kernel without kprobe events (the test kernel)', async () => {
    await fakeLivepatch('livepatch_fix', { vmlinux: [true, ['cmdline_proc_show,1']] });
    const run = await guest([
      "klp_count_start livepatch_fix 'vmlinux/cmdline_proc_show,1=tsbp_new_cmdline_proc_show'",
      'klp_count_stop livepatch_fix',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const [exercise] = await records();
    expect(exercise!.verdict).toBe('not-measured');
    expect(exercise!.functions[0]!.calls).toBeNull();
    expect(exercise!.functions[0]!.reason).toMatch(/^no kprobe events in this kernel \(CONFIG_KPROBE_EVENTS/);
  });

  it("takes the functions from the livepatch's sysfs when it is given none, probing them by name", async () => {
    await fakeTracing({ tsbp_calls_1: 3 });
    await fakeLivepatch('livepatch_fix', { vmlinux: [true, ['cmdline_proc_show,1']] });
    const run = await guest(['klp_count_start livepatch_fix', 'klp_count_stop livepatch_fix']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(join(tracing, 'kprobe_events'), 'utf8')).toContain(
      'p:tsbp/tsbp_calls_1 livepatch_fix:cmdline_proc_show\n',
    );
    expect(await records()).toEqual([
      {
        module: 'livepatch_fix',
        verdict: 'exercised',
        functions: [
          { object: 'vmlinux', function: 'cmdline_proc_show', sympos: 1, symbol: 'cmdline_proc_show', calls: 3 },
        ],
      },
    ]);
  });

  it('tells a probe the kernel refused and one it cannot enable, and never stops a set -e script', async () => {
    await mkdir(join(tracing, 'kprobe_events'), { recursive: true }); // a write to it fails
    await writeFile(join(tracing, 'kprobe_profile'), '');
    await fakeLivepatch('a', { vmlinux: [true, ['f,1']] });
    const refused = await guest(["klp_count_start a 'vmlinux/f,1=tsbp_new_f'", 'klp_count_stop a', 'echo end']);
    expect(refused.exitCode, refused.stderr).toBe(0);
    expect(refused.stdout).toContain('end');
    expect((await records())[0]!.functions[0]!.reason).toBe('the kernel refused a kprobe on a:tsbp_new_f');

    await tmp.cleanup();
    tmp = await dir({ unsafeCleanup: true });
    [tracing, klp, calls] = ['tracing', 'livepatch', 'calls'].map((p) => join(tmp.path, p)) as [string, string, string];
    await fakeTracing({}); // no event directory appears: it cannot be enabled
    await fakeLivepatch('a', { vmlinux: [true, ['f,1']] });
    const disabled = await guest(["klp_count_start a 'vmlinux/f,1=tsbp_new_f'", 'klp_count_stop a']);
    expect(disabled.exitCode, disabled.stderr).toBe(0);
    expect((await records())[0]!.functions[0]!.reason).toBe('the kprobe on a:tsbp_new_f cannot be enabled');
    expect(await readFile(join(tracing, 'kprobe_events'), 'utf8')).toBe(
      'p:tsbp/tsbp_calls_1 a:tsbp_new_f\n-:tsbp/tsbp_calls_1\n',
    );
  });

  it('keeps two livepatches and two windows of one apart; stopping one leaves the other counting', async () => {
    await fakeTracing({ tsbp_calls_1: 1, tsbp_calls_2: 2, tsbp_calls_3: 0 });
    await fakeLivepatch('a', { vmlinux: [true, ['f,1']] });
    await fakeLivepatch('b', { vmlinux: [true, ['g,1']] });
    const run = await guest([
      "klp_count_start a 'vmlinux/f,1=tsbp_new_f'",
      "klp_count_start b 'vmlinux/g,1=tsbp_new_g'",
      'klp_count_stop a',
      `cat ${tracing}/events/tsbp/tsbp_calls_2/enable`,
      'klp_count_stop b',
      "klp_count_start a 'vmlinux/f,1=tsbp_new_f'",
      'klp_count_stop a',
      'klp_count_stop nothing-started',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[1]).toBe('1');
    expect((await records()).map((e) => [e.module, e.verdict, e.functions.map((f) => f.calls)])).toEqual([
      ['a', 'exercised', [1]],
      ['b', 'exercised', [2]],
      ['a', 'not-exercised', [0]],
    ]);
  });
});

describe('parseCallCounts', () => {
  it('reads the records of the CALLS payload and skips what is not one', () => {
    const text = [
      '1 livepatch_x vmlinux f 1 tsbp_new_f 7',
      'garbage',
      '1 livepatch_x vmlinux g 2 - - livepatch_x has no symbol of its own for the replacement',
      '1 livepatch_x vmlinux h x tsbp_new_h 1',
      '',
    ].join('\n');
    expect(parseCallCounts(text)).toEqual([
      {
        module: 'livepatch_x',
        verdict: 'partly-exercised',
        functions: [
          { object: 'vmlinux', function: 'f', sympos: 1, symbol: 'tsbp_new_f', calls: 7 },
          {
            object: 'vmlinux',
            function: 'g',
            sympos: 2,
            symbol: '-',
            calls: null,
            reason: 'livepatch_x has no symbol of its own for the replacement',
          },
        ],
      },
    ]);
    expect(parseCallCounts('')).toEqual([]);
  });
});

describe('the command lines and the guest', () => {
  it("give each function with the position sysfs names it (1 for 0) and '-' for no symbol of its own", () => {
    expect(
      countStartCommand('livepatch_fix', [
        {
          object: 'vmlinux',
          functions: [
            { name: 'f', sympos: 0, replacement: 'tsbp_new_f' },
            { name: 'g.constprop.0', sympos: 2, replacement: undefined },
          ],
        },
      ]),
    ).toBe("klp_count_start livepatch_fix 'vmlinux/f,1=tsbp_new_f' 'vmlinux/g.constprop.0,2=-'");
    expect(countStartCommand('livepatch_fix')).toBe('klp_count_start livepatch_fix');
    expect(countStopCommand('livepatch_fix')).toBe('klp_count_stop livepatch_fix');
  });

  it('the guest library has the helpers, and its init mounts tracefs and sends the records back', async () => {
    expect(GUEST_LIBRARY).toContain(CALL_COUNT_LIBRARY);
    expect(GUEST_INIT).toContain('mount -t tracefs tracefs /sys/kernel/tracing');
    expect(GUEST_INIT).toMatch(/\[ -f \/tmp\/tsbp-calls \] && emit CALLS \/tmp\/tsbp-calls/);
    await execa('sh', ['-n'], { input: GUEST_LIBRARY });
    await execa('sh', ['-n'], { input: GUEST_INIT });
  });
});
