/**
 * Special sections are rebuilt entry by entry for the included functions only, with sizes from
 * the one arch table (or the caller), and jump labels on module-owned keys are refused.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { writePatchObject } from '../../../src/diff/output.js';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { compilePair, diffSources, workDirectory } from './compile.js';
import { readelf } from './binutils.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

/** One 12-byte exception table entry for the instruction at label 1 (like _ASM_EXTABLE). */
const EX_ENTRY = String.raw`"1: nop\n .pushsection __ex_table,\"a\"\n .balign 4\n .long 1b - .\n .long 1b - .\n .long 0\n .popsection\n"`;

const EX_SOURCE = (second: number) => `
int helper(int x);
int first(int x) { asm volatile(${EX_ENTRY}); return helper(x) + 1; }
int second(int x) { asm volatile(${EX_ENTRY}); return helper(x) + ${second}; }
`;

/** A jump label (16-byte relative jump_entry) on `key`. */
const JUMP_SOURCE = (change: number) => `
struct static_key { int enabled; };
struct static_key feature_key;
int helper(int x);
int uses_key(int x) {
  asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\\n .pushsection __jump_table, \\"aw\\"\\n .balign 8\\n"
           " .long 1b - .\\n .long %l[yes] - .\\n .quad %c0 - .\\n .popsection\\n" : : "i"(&feature_key) : : yes);
  return helper(x);
yes:
  return helper(x) + ${change};
}
`;

/**
 * A tracepoint call site as 6.1 emits it: a jump label on the tracepoint's static key guarding a
 * static call of its trampoline, both keys defined here (in the module, for a module target).
 */
const TRACEPOINT_SOURCE = (change: number) => `
struct static_key { int enabled; };
struct static_call_key { void *func; };
struct tracepoint { struct static_key key; };
struct tracepoint __tracepoint_demo_event;
struct static_call_key __SCK__tp_func_demo_event;
void __SCT__tp_func_demo_event(void *data, int x);
int helper(int x);
int traced(int x) {
  asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\\n .pushsection __jump_table, \\"aw\\"\\n .balign 8\\n"
           " .long 1b - .\\n .long %l[yes] - .\\n .quad %c0 - .\\n .popsection\\n" : : "i"(&__tracepoint_demo_event.key) : : yes);
  return helper(x) + ${change};
yes:
  asm volatile("1: call __SCT__tp_func_demo_event\\n .pushsection .static_call_sites, \\"aw\\"\\n .balign 4\\n"
               " .long 1b - .\\n .long __SCK__tp_func_demo_event - .\\n .popsection\\n");
  return helper(x) + ${change};
}
`;

function sectionSize(object: string, name: string): number | undefined {
  const line = readelf(['-SW', object])
    .split('\n')
    .find((l) => l.includes(` ${name} `));
  const match = line && /\s(?:PROGBITS|NOBITS)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(line);
  return match ? parseInt(match[1]!, 16) : undefined;
}

describe('special sections on gcc-12 objects', () => {
  it('keeps only the __ex_table entries of included functions', async () => {
    const result = await diffSources(workdir, 'extable', EX_SOURCE(2), EX_SOURCE(7));
    expect(result.changedFunctions).toEqual(['second']);
    expect(sectionSize(result.pair.original, '__ex_table')).toBe(24);
    expect(result.entrySizes.get('__ex_table')).toEqual({
      size: 12,
      origin: expect.stringMatching(/^default x86_64 6\.1/),
    });
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(sectionSize(out, '__ex_table')).toBe(12);
    const exRelocations = readelf(['-rW', out])
      .split(/\n(?=Relocation section)/)
      .find((s) => s.includes("'.rela__ex_table'"));
    expect(exRelocations?.match(/R_X86_64_PC32\s+0+\s+second \+ [0-9a-f]+/g)).toHaveLength(2);
    expect(exRelocations).not.toMatch(/\bfirst\b/);
  });

  it('uses a caller-given entry size', async () => {
    const pair = await compilePair(workdir, 'extable-size', EX_SOURCE(2), EX_SOURCE(7));
    const result = diffObjects({ ...pair, entrySizes: new Map([['__ex_table', 24]]) });
    expect(result.entrySizes.get('__ex_table')).toEqual({ size: 24, origin: 'given' });
    const out = join(pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    // One 24-byte "entry" now spans both functions' records: kept whole.
    expect(sectionSize(out, '__ex_table')).toBe(24);
  });

  it('takes sizes with their origin, and refuses a section the target kernel has no struct for', async () => {
    const pair = await compilePair(workdir, 'extable-kernel', EX_SOURCE(2), EX_SOURCE(7));
    const measured = diffObjects({
      ...pair,
      entrySizes: new Map([['__ex_table', { size: 12, origin: 'vmlinux DWARF (/k/vmlinux)' }]]),
    });
    expect(measured.entrySizes.get('__ex_table')).toEqual({ size: 12, origin: 'vmlinux DWARF (/k/vmlinux)' });
    expect(measured.entrySizes.get('.smp_locks')).toEqual({ size: 4, origin: expect.stringMatching(/^fixed: s32 /) });
    const absent = new Map([
      ['__ex_table', { size: null, origin: 'vmlinux DWARF (/k/vmlinux) has no struct exception_table_entry' }],
    ]);
    expect(() => diffObjects({ ...pair, entrySizes: absent })).toThrow(
      new RegExp(
        `${pair.patched.replaceAll('.', '\\.')} has a __ex_table section, but vmlinux DWARF \\(/k/vmlinux\\) has no struct exception_table_entry`,
      ),
    );
    // A section the objects do not have may be absent from the kernel.
    const noJumps = new Map([
      ['__jump_table', { size: null, origin: 'vmlinux DWARF (/k/vmlinux) has no struct jump_entry' }],
    ]);
    expect(diffObjects({ ...pair, entrySizes: noJumps }).outcome).toBe('changed');
  });

  it('keeps a jump label whose key lives in vmlinux', async () => {
    const result = await diffSources(workdir, 'jump-vmlinux', JUMP_SOURCE(1), JUMP_SOURCE(2));
    expect(result.outcome).toBe('changed');
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(sectionSize(out, '__jump_table')).toBe(16);
  });

  it('refuses a jump label whose key a target module owns, suggesting static_key_enabled()', async () => {
    const pair = await compilePair(workdir, 'jump-module', JUMP_SOURCE(1), JUMP_SOURCE(2));
    const parent = join(pair.directory, 'target-mod.ko');
    await copyFile(pair.original, parent);
    const result = diffObjects({ ...pair, parent });
    expect(result.outcome).toBe('refused');
    expect(result.target).toMatchObject({ objectName: 'target_mod', isModule: true });
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(
        /jump label at uses_key\+0x[0-9a-f]+ uses key feature_key, which module target_mod owns.*static_key_enabled\(\)/,
      ),
    ]);
  });

  it('drops a tracepoint whose keys a target module owns, keeping the trampoline call, and says so', async () => {
    const pair = await compilePair(workdir, 'tracepoint-module', TRACEPOINT_SOURCE(1), TRACEPOINT_SOURCE(2));
    const parent = join(pair.directory, 'target-mod.ko');
    await copyFile(pair.original, parent);
    const result = diffObjects({ ...pair, parent });
    expect(result.refusals.map((r) => r.reason)).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['traced']);
    // (These objects have no DWARF: the struct-layout check's own note is not this test's.)
    expect(result.notes.filter((n) => !n.startsWith('struct layouts not checked'))).toEqual([
      'traced: tracepoint demo_event stays off in the patched function (its key __tracepoint_demo_event is one module target_mod owns)',
      'traced: tracepoint demo_event stays off in the patched function (its key __SCK__tp_func_demo_event is one module target_mod owns)',
    ]);
    const out = join(pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(sectionSize(out, '__jump_table')).toBeUndefined();
    expect(sectionSize(out, '.static_call_sites')).toBeUndefined();
    // The call stays a call of the trampoline, which the key's owner keeps current.
    expect(readelf(['-rW', out])).toMatch(/R_X86_64_PLT32\s+0+\s+__SCT__tp_func_demo_event - 4/);
  });

  it('keeps a tracepoint whose keys live in vmlinux', async () => {
    const result = await diffSources(workdir, 'tracepoint-vmlinux', TRACEPOINT_SOURCE(1), TRACEPOINT_SOURCE(2));
    expect(result.outcome).toBe('changed');
    expect(result.notes.filter((n) => !n.startsWith('struct layouts not checked'))).toEqual([]);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(sectionSize(out, '__jump_table')).toBe(16);
    expect(sectionSize(out, '.static_call_sites')).toBe(8);
  });
});
