/** `tsbuild-patch diff --entry-sizes-from VMLINUX`: sizes from a kernel's DWARF, --entry-size still wins. */
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import { compilePair } from '../diff/compile.js';
import { gccSizes, linkFakeKernel } from './fake-kernel.js';

const ROOT = resolve(import.meta.dirname, '../../..');

const STRUCTS = {
  bug_entry: 'struct bug_entry { int bug_addr_disp; int file_disp; unsigned short line; unsigned short flags; };',
  exception_table_entry: 'struct exception_table_entry { int insn, fixup, data; };',
  jump_entry: 'struct jump_entry { int code; int target; long key; long spare; };',
};

let work: DirectoryResult;
beforeAll(async () => {
  work = await dir({ unsafeCleanup: true, prefix: 'entry-sizes-cli-' });
});
afterAll(async () => {
  await work.cleanup();
});

const run = (args: string[]) =>
  execa(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), 'diff', ...args], {
    reject: false,
    env: { TSBUILD_PATCH_CACHE: join(work.path, 'cache') },
  });

describe('tsbuild-patch diff --entry-sizes-from', () => {
  it('reports sizes from the kernel DWARF, given overrides, absent sections and fixed ones with their origins', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux'), { structs: STRUCTS });
    const sizes = await gccSizes(work.path, STRUCTS);
    const pair = await compilePair(
      work,
      'pair',
      'int f(int x) { return x + 1; }\n',
      'int f(int x) { return x + 2; }\n',
    );
    const output = join(work.path, 'out.o');
    const result = await run([
      pair.original,
      pair.patched,
      '-o',
      output,
      '--entry-sizes-from',
      vmlinux,
      '--entry-size',
      '__ex_table=24',
      '--json',
    ]);
    expect(result.stderr).toMatch(/entry sizes of special sections: measured in .*vmlinux with pahole/);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    const fromKernel = `vmlinux DWARF (${vmlinux})`;
    expect(report.entrySizes['__jump_table']).toEqual({ size: sizes.get('jump_entry'), origin: fromKernel });
    expect(report.entrySizes['__bug_table']).toEqual({ size: sizes.get('bug_entry'), origin: fromKernel });
    expect(report.entrySizes['__ex_table']).toEqual({ size: 24, origin: 'given' });
    expect(report.entrySizes['.orc_unwind']).toEqual({
      size: null,
      origin: `${fromKernel} has no struct orc_entry: the kernel has no .orc_unwind entries`,
    });
    expect(report.entrySizes['.smp_locks']).toEqual({ size: 4, origin: expect.stringMatching(/^fixed: s32 /) });

    const again = await run([pair.original, pair.patched, '-o', output, '--entry-sizes-from', vmlinux, '--json']);
    expect(again.stderr).toMatch(/entry sizes of special sections: cached for build-id [0-9a-f]{40}/);
  });

  it('exits 1 naming the kernel when it has no debug info', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-nodebug'), { structs: STRUCTS, debugInfo: false });
    const pair = await compilePair(
      work,
      'pair2',
      'int f(int x) { return x + 1; }\n',
      'int f(int x) { return x + 2; }\n',
    );
    const result = await run([
      pair.original,
      pair.patched,
      '-o',
      join(work.path, 'out2.o'),
      '--entry-sizes-from',
      vmlinux,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${vmlinux}: no DWARF debug info`);
    expect(result.stderr).toMatch(/CONFIG_DEBUG_INFO=y/);
  });
});
