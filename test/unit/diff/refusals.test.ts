/**
 * Changes a livepatch cannot carry are refused, with reasons that name the section or
 * function: boot-time code, existing data, functions without an ftrace entry, symbols moving
 * between sections, and kpatch's KPATCH_FORCE_UNSAFE, which the livepatch core cannot honour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { diffReport, formatReport } from '../../../src/diff/report.js';
import { diffSources, workDirectory } from './compile.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

describe('refusals on gcc-12 objects', () => {
  it('refuses changed __init code', async () => {
    const source = (value: number) => `
int setup_value;
__attribute__((section(".init.text"))) int boot_setup(void) { setup_value = ${value}; return 0; }
int runtime(void) { return setup_value; }
`;
    const result = await diffSources(workdir, 'init', source(1), source(2));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason).join('\n')).toMatch(/\.init\.text.*not selected for inclusion.*__init/);
  });

  it('refuses a change to existing data', async () => {
    const source = (value: number) => `
int limits[2] = { 10, ${value} };
int read_limit(int i) { return limits[i & 1]; }
`;
    const result = await diffSources(workdir, 'data', source(20), source(30));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      'data limits changed (section .data.limits: its contents): existing data cannot be replaced by a livepatch ' +
        '(use shadow variables or callbacks; for an ops table, patch the functions it points to instead)',
    ]);
    expect(result.refusals[0]?.category).toBe('existing-data');
  });

  it('refuses an ops table that now points at a new function, naming the table', async () => {
    const source = (patched: boolean) => `
struct ops { int (*peek)(int); int (*poke)(int); };
int old_peek(int x) { return x + 1; }
${patched ? 'int new_peek(int x) { return x + 2; }' : ''}
int poke(int x) { return x; }
const struct ops table_ops = { .peek = ${patched ? 'new_peek' : 'old_peek'}, .poke = poke };
struct ops busy_ops __attribute__((section(".data..read_mostly"))) = { .peek = ${patched ? 'new_peek' : 'old_peek'}, .poke = poke };
int quiet __attribute__((section(".data..read_mostly"))) = 1;
`;
    const result = await diffSources(workdir, 'ops-table', source(false), source(true));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^data busy_ops changed \(section \.rela\.data\.\.read_mostly: the addresses it holds\)/),
      expect.stringMatching(
        /^data table_ops changed \(section \.rela\.rodata\.table_ops: the addresses it holds\): existing data cannot be replaced .*for an ops table, patch the functions it points to instead\)$/,
      ),
    ]);
    expect(result.refusals.map((r) => r.category)).toEqual(['existing-data', 'existing-data']);
  });

  it('builds a patch that exports a new function (not exported by the livepatch) or drops an export, and says so', async () => {
    // Linux 6.1's EXPORT_SYMBOL: the name in __ksymtab_strings, the entry in a section of its own.
    const exportSymbol = (name: string) => `
asm("  .section \\"__ksymtab_strings\\",\\"aMS\\",%progbits,1\\n__kstrtab_${name}:\\n  .asciz \\"${name}\\"\\n__kstrtabns_${name}:\\n  .asciz \\"\\"\\n  .previous\\n");
asm("  .section \\"___ksymtab+${name}\\", \\"a\\"\\n  .balign 4\\n__ksymtab_${name}:\\n  .long ${name} - .\\n  .long __kstrtab_${name} - .\\n  .long __kstrtabns_${name} - .\\n  .previous\\n");`;
    const source = (patched: boolean) => `
int helper(int x);
int old_api(int x) { return helper(x); }
${patched ? '' : exportSymbol('old_api')}
int kept_api(int x) { return helper(x) + 1; }
${exportSymbol('kept_api')}
${patched ? `int new_api(int x) { return helper(x) * 2; }\n${exportSymbol('new_api')}` : ''}
int user(int x) { return ${patched ? 'new_api(x)' : 'old_api(x)'}; }
`;
    const result = await diffSources(workdir, 'exports', source(false), source(true));
    expect(result.refusals.map((r) => r.reason)).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['user']);
    expect(result.newFunctions).toEqual(['new_api']);
    expect(result.notes).toEqual(
      expect.arrayContaining([
        'new export new_api: not exported by the livepatch (its own code calls it directly; modules built before the patch never use it)',
        'export old_api dropped by the patch: it stays exported while the livepatch is loaded',
      ]),
    );
  });

  it('refuses a static function made global, naming the change', async () => {
    const source = (binding: string) => `
int helper(int x);
${binding} __attribute__((noinline)) int destroy(int x) { return helper(x) + 1; }
int caller(int x) { return destroy(x); }
`;
    const result = await diffSources(workdir, 'binding', source('static'), source(''));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      'symbol destroy changed its binding (local -> global: a static made global, or the reverse): the livepatch cannot change how the running kernel links it',
    ]);
    expect(result.refusals[0]?.category).toBe('symbol-changed');
  });

  it('refuses a change in a section of several functions (__sched), naming the function', async () => {
    const source = (value: number) => `
int helper(int x);
__attribute__((section(".sched.text"), noinline)) int lock_slow(int x) { return helper(x) + ${value}; }
__attribute__((section(".sched.text"), noinline)) int lock_fast(int x) { return helper(x) - 1; }
int caller(int x) { return lock_slow(x) + lock_fast(x); }
`;
    const result = await diffSources(workdir, 'sched-text', source(1), source(2));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      'function lock_slow changed in section .sched.text, which holds several functions (a section attribute such as __sched overrides -ffunction-sections): ' +
        'the tool patches functions built in sections of their own',
    ]);
    expect(result.refusals[0]?.category).toBe('shared-text-section');
  });

  it('refuses a function without an ftrace entry', async () => {
    const source = (factor: number) => `
__attribute__((no_instrument_function)) int untraced(int x) { return x * ${factor}; }
`;
    const result = await diffSources(workdir, 'notrace', source(3), source(5));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(/function untraced .*no ftrace entry/),
    ]);
  });

  it('refuses a symbol that moved to another section', async () => {
    const source = (attribute: string) => `
${attribute} int flag = 0;
int get_flag(void) { return flag; }
`;
    const result = await diffSources(
      workdir,
      'moved',
      source(''),
      source('__attribute__((section(".data.flag_moved")))'),
    );
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason).join('\n')).toMatch(
      /flag moved from section \.bss\.flag to \.data\.flag_moved/,
    );
  });

  it('refuses a grown object', async () => {
    const source = (size: number) => `
char buffer[${size}];
char *get_buffer(void) { return buffer; }
`;
    const result = await diffSources(workdir, 'grown', source(16), source(24));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason).join('\n')).toMatch(/buffer changed size \(16 -> 24 bytes\)/);
  });

  it('refuses KPATCH_FORCE_UNSAFE, naming the function and why, and claims nothing was forced', async () => {
    const source = (value: number, marker: string) => `#include <kpatch-macros.h>
int helper(int x);
int fixed(int x) { return helper(x) + ${value}; }
${marker}
`;
    const result = await diffSources(workdir, 'force', source(1, ''), source(100, 'KPATCH_FORCE_UNSAFE(fixed);'));
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(
        /^KPATCH_FORCE_UNSAFE\(fixed\) is not supported: .*no task is running it.*klp_func\.immediate/,
      ),
    ]);
    const report = diffReport(result);
    expect(report).not.toHaveProperty('forcedFunctions');
    const text = formatReport(report);
    expect(text).toContain('refused: KPATCH_FORCE_UNSAFE(fixed) is not supported');
    expect(text).not.toMatch(/^forced/m);
    expect(text).not.toContain('consistency checks skipped');
  });
});
