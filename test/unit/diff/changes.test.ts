/**
 * What counts as a change: code compared through relocations, unchanged functions left out,
 * any changed immediate a change with line numbers `kept` (no guess at `__LINE__` drift), a
 * `__LINE__`-only change no change with line numbers `guessed` (and its blind spot), new
 * functions and data included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { join } from 'node:path';
import { writePatchObject } from '../../../src/diff/output.js';
import { diffSources, workDirectory } from './compile.js';
import { nmFunctions, readelf } from './binutils.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

const BASE = `
int helper_a(int x);
int helper_b(int x);
int counter;
int stable(int x) { return helper_a(x) + 1; }
int edited(int x) { return helper_a(x) * 3; }
`;

describe('change detection on gcc-12 objects', () => {
  it('reports a changed function and leaves unchanged ones out of the output', async () => {
    const result = await diffSources(workdir, 'edit', BASE, BASE.replace('helper_a(x) * 3', 'helper_a(x) * 5'));
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['edited']);
    expect(result.newFunctions).toEqual([]);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(nmFunctions(out)).toEqual([{ name: 'edited', type: 't' }]);
    // The replaced function is ftrace-able in the patch module too.
    expect(readelf(['-rW', out])).toMatch(/\.rela__mcount_loc[\s\S]*R_X86_64_64\s+0+\s+edited \+ 0/);
  });

  it("takes a changed function's unchanged .cold code along: the kernel's copy jumps back into the old function", async () => {
    const source = (factor: number) => `
extern void report(const char *) __attribute__((cold));
extern int lookup(int);
int handle(int x) {
  int v = lookup(x);
  if (v < 0) { report("bad"); return -1; }
  return v * ${factor} + lookup(v);
}
`;
    const result = await diffSources(workdir, 'cold', source(3), source(5));
    expect(result.changedFunctions).toEqual(['handle']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    // Both defined in the patch object: the cold code's jump back lands in the new handle.
    expect(nmFunctions(out)).toEqual([
      { name: 'handle', type: 't' },
      { name: 'handle.cold', type: 't' },
    ]);
    expect(readelf(['-rW', out])).toMatch(
      /\.rela\.text\.unlikely\.handle[\s\S]*R_X86_64_PC32\s+0+\s+(\.text\.)?handle \+ [0-9a-f]+\n/,
    );
  });

  it('sees a change of call target even when the bytes are identical', async () => {
    const result = await diffSources(
      workdir,
      'target',
      BASE,
      BASE.replace('return helper_a(x) * 3', 'return helper_b(x) * 3'),
    );
    expect(result.changedFunctions).toEqual(['edited']);
  });

  it('finds no change when only the source layout changed', async () => {
    const result = await diffSources(workdir, 'layout', BASE, `/* a comment */\n\n${BASE}`);
    expect(result.outcome).toBe('no-change');
    expect(result.changedFunctions).toEqual([]);
  });

  it('with kept line numbers, takes a shifted __LINE__ for the change it is: the patched build keeps them, the differ does not guess', async () => {
    const source = (extra: string) => `
void __might_sleep(const char *file, int line);
int helper_a(int x);
${extra}
int sleeper(int x) { __might_sleep("file.c", __LINE__); return helper_a(x); }
`;
    const shifted = await diffSources(workdir, 'line', source(''), source('\n\n\n\n'), { lineNumbers: 'kept' });
    expect(shifted.changedFunctions).toEqual(['sleeper']);
    // The same lines added with a #line directive after them, as line keeping adds it.
    const kept = await diffSources(workdir, 'line-kept', source(''), source('\n\n\n\n#line 5'), {
      lineNumbers: 'kept',
    });
    expect(kept.outcome).toBe('no-change');
  });

  it('with guessed line numbers, ignores __LINE__ drift in might_sleep()-style calls below an insertion', async () => {
    const source = (extra: string) => `
void __might_sleep(const char *file, int line);
int helper_a(int x);
${extra}
int sleeper(int x) { __might_sleep("file.c", __LINE__); return helper_a(x); }
`;
    const result = await diffSources(workdir, 'line-guessed', source(''), source('\n\n\n\n'), {
      lineNumbers: 'guessed',
    });
    expect(result.outcome).toBe('no-change');
    expect(result.notes).toContain('only line numbers changed in .text.sleeper');
    // Line drift together with a real change is still a change.
    const real = await diffSources(
      workdir,
      'line-guessed-real',
      source(''),
      source('\n\n').replace('helper_a(x)', 'helper_a(x + 7)'),
      { lineNumbers: 'guessed' },
    );
    expect(real.changedFunctions).toEqual(['sleeper']);
    // With the #line directive there is nothing to guess at, and no note.
    const kept = await diffSources(workdir, 'line-guessed-kept', source(''), source('\n\n\n\n#line 5'), {
      lineNumbers: 'guessed',
    });
    expect(kept.outcome).toBe('no-change');
    expect(kept.notes.filter((note) => note.startsWith('only line numbers'))).toEqual([]);
  });

  it("sees a changed constant passed to printk with kept line numbers, not with guessed ones (the guess's blind spot)", async () => {
    const source = (value: number) => `
int _printk(const char *fmt, ...);
int shown(int x) { _printk("%d %d\\n", x, ${value}); return x; }
`;
    const result = await diffSources(workdir, 'printk-constant', source(1), source(2), { lineNumbers: 'kept' });
    expect(result.changedFunctions).toEqual(['shown']);
    // The guess's blind spot: the same real change taken for a line number.
    const guessed = await diffSources(workdir, 'printk-constant-guessed', source(1), source(2), {
      lineNumbers: 'guessed',
    });
    expect(guessed.outcome).toBe('no-change');
    expect(guessed.notes).toContain('only line numbers changed in .text.shown');
  });

  it('includes a new function and new data', async () => {
    const patched = BASE.replace(
      'int edited(int x) { return helper_a(x) * 3; }',
      'int fresh_data[4] = {1, 2, 3, 4};\n__attribute__((noinline)) int fresh(int x) { return fresh_data[x & 3]; }\nint edited(int x) { return fresh(x) * 3; }',
    );
    const result = await diffSources(workdir, 'new', BASE, patched);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['edited']);
    expect(result.newFunctions).toEqual(['fresh']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(readelf(['-sW', out])).toMatch(/OBJECT\s+GLOBAL\s+DEFAULT\s+\d+ fresh_data/);
  });

  it('compares string literals by content, not by position', async () => {
    const source = (message: string) => `
int printk(const char *fmt, ...);
void first(void) { printk("first message\\n"); }
void second(void) { printk("${message}"); }
`;
    const result = await diffSources(workdir, 'strings', source('second message\\n'), source('second, changed\\n'));
    expect(result.changedFunctions).toEqual(['second']);
  });
});
