/**
 * A module name Debian 12's kernel has for built-in code is refused before the build starts:
 * its vmlinux's built-in parameter syscall.x32 (arch/x86/entry/common.c) makes
 * /sys/module/syscall, so a livepatch named syscall would fail to load with EINVAL.
 */
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../../src/util/errors.js';
import { buildFailure } from '../e2e/harness.js';
import { debianReleases } from './releases.js';

const [NEWEST] = await debianReleases();

describe('a module name the kernel has for built-in code', () => {
  it(`Debian ${NEWEST}: --name syscall is refused, naming the parameter, before anything is built`, async () => {
    const lines: string[] = [];
    const started = performance.now();
    const error = await buildFailure('new-function', {
      kernel: NEWEST,
      name: 'syscall',
      log: (line) => lines.push(line),
    });
    const seconds = (performance.now() - started) / 1000;
    expect(error).toBeInstanceOf(RefusedError);
    expect(error.exitCode).toBe(2);
    expect((error as RefusedError).reasons.map((r) => r.category)).toEqual(['builtin-module-name']);
    expect(error.message).toBe(
      `module name syscall: kernel ${NEWEST} already has a built-in module syscall (its built-in parameter syscall.x32), so loading the livepatch would fail with EINVAL ("syscall: module is already loaded")`,
    );
    // Refused once the kernel's files were at hand: no tree prepared, no object compiled.
    expect(lines.filter((line) => line.startsWith('stage '))).toEqual(['stage validate', 'stage target-kernel']);
    process.stderr.write(`  [builtin-name] refused in ${seconds.toFixed(1)} s\n`);
  });
});
