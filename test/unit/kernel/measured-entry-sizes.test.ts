/**
 * entrySizesFromKernel on small gcc-linked stand-ins for vmlinux: sizes as gcc computes them,
 * absent structs, the build-id keyed cache (never stale), and the errors a user can meet.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import { readElf } from '../../../src/elf/index.js';
import { gnuBuildId } from '../../../src/kernel/facts/build-id.js';
import { entrySizesFromKernel } from '../../../src/kernel/facts/measured-entry-sizes.js';
import { UserError } from '../../../src/util/errors.js';
import { gccSizes, linkFakeKernel } from './fake-kernel.js';

// Sizes deliberately unlike Linux 6.1's, so a default could not pass for a measurement.
const STRUCTS = {
  bug_entry:
    'struct bug_entry { int bug_addr_disp; int file_disp; unsigned short line; unsigned short flags; int extra; };',
  exception_table_entry: 'struct exception_table_entry { int insn, fixup, data; };',
  jump_entry: 'struct jump_entry { int code; int target; long key; long more; };',
  orc_entry:
    'struct orc_entry { short sp_offset; short bp_offset; unsigned sp_reg:4, bp_reg:4, type:2, end:1; } __attribute__((packed));',
  static_call_site: 'struct static_call_site { int addr; int key; };',
  alt_instr:
    'struct alt_instr { int instr_offset; int repl_offset; unsigned short cpuid; unsigned char a, b, c; } __attribute__((packed));',
  paravirt_patch_site: 'struct paravirt_patch_site { unsigned char *instr; unsigned char type, len; };',
};
// No pi_entry: like a kernel without CONFIG_PRINTK_INDEX.

const SECTION_OF: Record<string, string> = {
  bug_entry: '__bug_table',
  exception_table_entry: '__ex_table',
  jump_entry: '__jump_table',
  orc_entry: '.orc_unwind',
  static_call_site: '.static_call_sites',
  alt_instr: '.altinstructions',
  paravirt_patch_site: '.parainstructions',
};

let work: DirectoryResult;
let cacheDir: string;
const messages: string[] = [];
const log = (message: string) => messages.push(message);

beforeAll(async () => {
  work = await dir({ unsafeCleanup: true, prefix: 'entry-sizes-test-' });
  cacheDir = join(work.path, 'cache');
});
afterAll(async () => {
  await work.cleanup();
});

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('entrySizesFromKernel', () => {
  it('gives each special section the size gcc gives its struct, and lists the structs the DWARF lacks', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-a'), { structs: STRUCTS });
    const expected = await gccSizes(work.path, STRUCTS);
    const facts = await entrySizesFromKernel(vmlinux, log, { cacheDir });
    expect(facts.sizes).toEqual(new Map([...expected].map(([tag, size]) => [SECTION_OF[tag]!, size])));
    expect(facts.sizes.get('__jump_table')).not.toBe(16);
    expect(facts.absent).toEqual([{ section: '.printk_index', tag: 'pi_entry' }]);
    expect(facts.origin).toBe(`vmlinux DWARF (${vmlinux})`);
    expect(facts.cached).toBe(false);
  });

  it('reads the build-id readelf shows', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-id'), { structs: STRUCTS });
    const shown = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', vmlinux], { encoding: 'utf8' }))?.[1];
    expect(shown).toMatch(/^[0-9a-f]{40}$/);
    expect(gnuBuildId(await readElf(vmlinux))).toBe(shown);
    const none = await linkFakeKernel(join(work.path, 'vmlinux-noid'), { structs: STRUCTS, buildId: false });
    expect(gnuBuildId(await readElf(none))).toBeUndefined();
  });

  it('caches by build-id and measures again when the kernel changes', async () => {
    const path = join(work.path, 'vmlinux-b');
    const cache = join(work.path, 'cache-b');
    await linkFakeKernel(path, { structs: STRUCTS });
    const first = await entrySizesFromKernel(path, log, { cacheDir: cache });
    const second = await entrySizesFromKernel(path, log, { cacheDir: cache });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.identity).toBe(first.identity);
    expect(second.sizes).toEqual(first.sizes);
    expect(second.absent).toEqual(first.absent);

    // Same path, another kernel: a bigger exception_table_entry and a pi_entry.
    const changed = {
      ...STRUCTS,
      exception_table_entry: 'struct exception_table_entry { int insn, fixup, data, more; };',
      pi_entry:
        'struct pi_entry { const char *fmt; const char *func; const char *file; unsigned line; const char *level; const char *prefix; } __attribute__((packed));',
    };
    await linkFakeKernel(path, { structs: changed });
    const expected = await gccSizes(work.path, changed);
    const third = await entrySizesFromKernel(path, log, { cacheDir: cache });
    expect(third.cached).toBe(false);
    expect(third.identity).not.toBe(first.identity);
    expect(third.sizes.get('__ex_table')).toBe(expected.get('exception_table_entry'));
    expect(third.sizes.get('.printk_index')).toBe(expected.get('pi_entry'));
    expect(third.absent).toEqual([]);
  });

  it('without a build-id, keys the cache by the file and never reuses it for a rewritten file', async () => {
    const path = join(work.path, 'vmlinux-c');
    const cache = join(work.path, 'cache-c');
    await linkFakeKernel(path, { structs: STRUCTS, buildId: false });
    const first = await entrySizesFromKernel(path, log, { cacheDir: cache });
    expect(first.identity).toMatch(/^no build-id; file /);
    expect((await entrySizesFromKernel(path, log, { cacheDir: cache })).cached).toBe(true);
    // Rewritten in place with another layout: only the file's identity tells them apart.
    const swapped = { ...STRUCTS, static_call_site: 'struct static_call_site { long addr; long key; };' };
    await linkFakeKernel(path, { structs: swapped, buildId: false });
    const again = await entrySizesFromKernel(path, log, { cacheDir: cache });
    expect(again.cached).toBe(false);
    expect(again.sizes.get('.static_call_sites')).toBe((await gccSizes(work.path, swapped)).get('static_call_site'));
  });

  it('refuses a kernel without debug info, suggesting CONFIG_DEBUG_INFO', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-nodebug'), { structs: STRUCTS, debugInfo: false });
    const error = await rejection(entrySizesFromKernel(vmlinux, log, { cacheDir }));
    expect(error.message).toContain(vmlinux);
    expect(error.message).toMatch(/no DWARF debug info .*CONFIG_DEBUG_INFO=y/);
  });

  it('refuses a kernel whose DWARF lacks the struct of a section it holds entries of', async () => {
    const { alt_instr: _, ...withoutAltInstr } = STRUCTS;
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-reduced'), {
      structs: withoutAltInstr,
      entries: [{ section: '.altinstructions', bounds: ['__alt_instructions', '__alt_instructions_end'] }],
    });
    const error = await rejection(entrySizesFromKernel(vmlinux, log, { cacheDir }));
    expect(error.message).toMatch(
      /holds \.altinstructions entries \(between __alt_instructions and __alt_instructions_end\) but its DWARF has no struct alt_instr/,
    );
    // Bounds around no entries are a section the kernel does not use: no error.
    const empty = await linkFakeKernel(join(work.path, 'vmlinux-empty-bounds'), {
      structs: withoutAltInstr,
      entries: [],
    });
    expect((await entrySizesFromKernel(empty, log, { cacheDir })).absent.map((a) => a.tag)).toEqual([
      'pi_entry',
      'alt_instr',
    ]);
  });

  it('refuses a DWARF that defines none of the structs', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-none'), {
      structs: { unrelated: 'struct unrelated { int x; };' },
    });
    const error = await rejection(entrySizesFromKernel(vmlinux, log, { cacheDir }));
    expect(error.message).toMatch(/defines none of the special-section structs/);
  });

  it('says how to get pahole when it is missing, and names a file pahole cannot read', async () => {
    const vmlinux = await linkFakeKernel(join(work.path, 'vmlinux-d'), { structs: STRUCTS });
    const missing = await rejection(
      entrySizesFromKernel(vmlinux, log, {
        cacheDir: join(work.path, 'cache-d'),
        pahole: join(work.path, 'no-such-pahole'),
      }),
    );
    expect(missing.message).toMatch(/no-such-pahole is not installed \(Debian\/Ubuntu package "dwarves"\)/);
    const notElf = await rejection(entrySizesFromKernel(join(work.path, 'vmlinux-d.c'), log, { cacheDir }));
    expect(notElf.message).toContain('vmlinux-d.c');
  });
});
