import { describe, expect, it } from 'vitest';
import { compiledObject, LineSplitter } from '../../../src/util/compile-lines.js';
import { ProgressReporter } from '../../../src/util/progress.js';
import { formatDuration, formatPlainStatus, formatTtyStatus } from '../../../src/util/progress-format.js';

/** A clock and interval timer the test moves by hand. */
function fakeTime() {
  let now = 0;
  const intervals = new Map<number, { callback: () => void; ms: number; next: number }>();
  let id = 0;
  return {
    now: () => now,
    timers: {
      setInterval: (callback: () => void, ms: number) => {
        intervals.set(++id, { callback, ms, next: now + ms });
        return id;
      },
      clearInterval: (handle: unknown) => void intervals.delete(handle as number),
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...intervals.values()].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.callback();
      }
      now = end;
    },
    active: () => intervals.size,
  };
}

function output(tty: boolean, columns = 100) {
  const writes: string[] = [];
  const time = fakeTime();
  const reporter = new ProgressReporter({
    stream: { write: (t: string) => writes.push(t), columns },
    tty,
    now: time.now,
    timers: time.timers,
  });
  return { writes, time, reporter };
}

describe('progress formatting', () => {
  it('shows durations as people read them', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_900)).toBe('45s');
    expect(formatDuration(150_000)).toBe('2m30s');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });

  it('writes the plain line of CI', () => {
    expect(formatPlainStatus({ stage: 'original-build', elapsedMs: 150_000, compiled: 412 })).toBe(
      'original-build: 2m30s, 412 objects compiled',
    );
    expect(formatPlainStatus({ stage: 'patched-build', elapsedMs: 3_000, compiled: 1, total: 2 })).toBe(
      'patched-build: 3s, 1/2 objects compiled',
    );
    expect(formatPlainStatus({ stage: 'diff', elapsedMs: 31_000 })).toBe('diff: 31s');
  });

  it("writes a terminal's status line, cut to its width", () => {
    const state = { stage: 'original-build', elapsedMs: 150_000, compiled: 412, current: 'fs/proc/base.o' };
    expect(formatTtyStatus(state)).toBe('original-build 2m30s  412 objects  CC fs/proc/base.o');
    expect(formatTtyStatus({ ...state, total: 1800 }, 30)).toBe('original-build 2m30s  412/...');
    expect(formatTtyStatus({ ...state, total: 1800 }, 30).length).toBe(29);
  });
});

describe('kbuild compile lines', () => {
  it('names the object of CC, CC [M] and AS lines, nothing else', () => {
    expect(compiledObject('  CC      fs/proc/version.o')).toBe('fs/proc/version.o');
    expect(compiledObject('  CC [M]  fs/ext4/inode.o')).toBe('fs/ext4/inode.o');
    expect(compiledObject('  AS      arch/x86/entry/entry_64.o')).toBe('arch/x86/entry/entry_64.o');
    expect(compiledObject('  CC      arch/x86/kernel/asm-offsets.s')).toBeUndefined();
    expect(compiledObject('  HOSTCC  scripts/basic/fixdep')).toBeUndefined();
    expect(compiledObject('  LD [M]  fs/ext4/ext4.o')).toBeUndefined();
    expect(compiledObject('fs/proc/version.c:16:46: error: expected')).toBeUndefined();
  });

  it('splits output chunks into lines across chunk boundaries', () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    split.push('  CC      fs/a.o\n  CC   ');
    split.push('   fs/b.o\r\n  LD');
    split.end();
    expect(lines).toEqual(['  CC      fs/a.o', '  CC      fs/b.o', '  LD']);
  });
});

describe('progress reporter without a terminal (CI)', () => {
  it('writes a plain line every 30 s while a stage runs, with the compile count, and nothing between stages', () => {
    const { writes, time, reporter } = output(false);
    reporter.stageStarted('original-build');
    reporter.buildStarted(undefined);
    for (let i = 0; i < 412; i++) reporter.compiled(`obj${i}.o`);
    time.advance(29_000);
    expect(writes).toEqual([]);
    time.advance(1_000);
    expect(writes).toEqual(['[tsbuild-patch] original-build: 30s, 412 objects compiled\n']);
    time.advance(120_000);
    expect(writes.at(-1)).toBe('[tsbuild-patch] original-build: 2m30s, 412 objects compiled\n');
    expect(writes).toHaveLength(5);
    reporter.stageEnded('original-build');
    expect(time.active()).toBe(0);
    time.advance(60_000);
    expect(writes).toHaveLength(5);
  });

  it('counts out of the total when the builds name their objects; log lines pass through unchanged', () => {
    const { writes, time, reporter } = output(false);
    const logged: string[] = [];
    const log = reporter.logger((m) => logged.push(m));
    reporter.stageStarted('patched-build');
    log('patched build: 2 object(s)');
    reporter.buildStarted(2);
    reporter.compiled('fs/proc/version.o');
    time.advance(30_000);
    expect(writes).toEqual(['[tsbuild-patch] patched-build: 30s, 1/2 objects compiled\n']);
    expect(logged).toEqual(['patched build: 2 object(s)']);
  });
});

describe('progress reporter on a terminal', () => {
  it('redraws one status line in place with the elapsed time and the count out of the total', () => {
    const { writes, time, reporter } = output(true);
    reporter.stageStarted('patched-build');
    expect(writes.at(-1)).toBe('\r\x1b[K[tsbuild-patch] patched-build 0s');
    reporter.buildStarted(2);
    time.advance(200);
    reporter.compiled('fs/proc/version.o');
    expect(writes.at(-1)).toBe('\r\x1b[K[tsbuild-patch] patched-build 0s  1/2 objects  CC fs/proc/version.o');
    time.advance(1_000);
    expect(writes.at(-1)).toBe('\r\x1b[K[tsbuild-patch] patched-build 1s  1/2 objects  CC fs/proc/version.o');
    expect(writes.every((w) => !w.includes('\n'))).toBe(true);
  });

  it('takes the status line away for a log message and draws it again after', () => {
    const { writes, reporter } = output(true);
    const log = reporter.logger((m) => writes.push(`${m}\n`));
    reporter.stageStarted('original-build');
    writes.length = 0;
    log('original build done in 300 s');
    expect(writes).toEqual(['\r\x1b[K', 'original build done in 300 s\n', '\r\x1b[K[tsbuild-patch] original-build 0s']);
  });

  it('leaves a clean line when a stage ends or the reporter stops', () => {
    const { writes, time, reporter } = output(true);
    reporter.stageStarted('diff');
    reporter.stageEnded('diff');
    expect(writes.at(-1)).toBe('\r\x1b[K');
    const count = writes.length;
    time.advance(5_000);
    expect(writes).toHaveLength(count);
    reporter.stageStarted('module');
    reporter.stop();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    expect(time.active()).toBe(0);
  });

  it('throttles redraws for fast compile lines', () => {
    const { writes, time, reporter } = output(true);
    reporter.stageStarted('original-build');
    reporter.buildStarted(undefined);
    time.advance(500);
    const before = writes.length;
    for (let i = 0; i < 100; i++) reporter.compiled(`o${i}.o`);
    expect(writes.length - before).toBe(1);
    time.advance(500);
    expect(writes.at(-1)).toMatch(/original-build 1s  100 objects  CC o99\.o$/);
  });
});
