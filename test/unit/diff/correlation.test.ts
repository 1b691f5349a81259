/**
 * Correlation of compiler-named elements between original and patched gcc-12 objects:
 * static locals by use, special statics never, `.cold`/`.part`/`.isra`/`.constprop` clones by
 * name without their numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { join } from 'node:path';
import { writePatchObject } from '../../../src/diff/output.js';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { compilePair, diffSources, workDirectory } from './compile.js';
import { nmFunctions, readelf } from './binutils.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

describe('correlation on gcc-12 objects', () => {
  it('pairs a static local with its twin even when gcc renumbers it', async () => {
    const source = (extra: string, body: string) => `
int use(int *p);
${extra}
int tick(void) { static int count; return use(&count); }
int other(void) { static int count; ${body} return use(&count); }
`;
    // A new static in another function shifts gcc's numbering of the existing ones.
    const result = await diffSources(
      workdir,
      'statics',
      source('', ''),
      source('int early(void) { static int count; return use(&count) + 1; }', 'use(0);'),
    );
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['other']);
    expect(result.newFunctions).toEqual(['early']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    // other's count already exists in the kernel: the patch refers to it by its ORIGINAL name
    // and does not ship it.
    const originalUse = /\.rela\.text\.other'[\s\S]*?\.bss\.(count\.\d+)/.exec(
      readelf(['-rW', result.pair.original]),
    )?.[1];
    expect(originalUse).toBeDefined();
    const patchUse = /\.rela\.text\.other'[\s\S]*?R_X86_64_\w+\s+0+\s+(count\.\d+)/.exec(readelf(['-rW', out]))?.[1];
    expect(patchUse).toBe(originalUse);
    const symbols = readelf(['-sW', out]);
    expect(symbols).toMatch(new RegExp(`OBJECT\\s+LOCAL\\s+DEFAULT\\s+UND ${originalUse!.replace('.', '\\.')}\\b`));
    // early's count is new: shipped with its data.
    expect(symbols).toMatch(/OBJECT\s+LOCAL\s+DEFAULT\s+\d+ count\.\d+/);
  });

  it('lets a function stop using a read-only static local (NL_SET_ERR_MSG style), but not a writable one', async () => {
    const readOnly = (check: string) => `
void report(const char *msg);
int validate(int id) {
  if (id < 0) { static const char __msg[] = "negative id"; report(__msg); return -1; }
  ${check}
  return 0;
}
`;
    const dropped = await diffSources(
      workdir,
      'readonly-static',
      readOnly('if (id > 9) { static const char __msg[] = "id too large"; report(__msg); return -2; }'),
      readOnly(''),
    );
    expect(dropped.refusals.map((r) => r.reason)).toEqual([]);
    expect(dropped.outcome).toBe('changed');
    expect(dropped.changedFunctions).toEqual(['validate']);
    expect(dropped.notes).toContainEqual(
      expect.stringMatching(
        /^validate no longer uses the read-only static local __msg\.\d+ \(a constant: nothing is lost\)$/,
      ),
    );

    const writable = (use: string) => `
int use(int *p);
int counted(void) { static int calls; ${use} return 0; }
`;
    const refused = await diffSources(workdir, 'writable-static', writable('use(&calls);'), writable(''));
    expect(refused.outcome).toBe('refused');
    expect(refused.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^reference to static local variable calls\.\d+ in counted was removed$/),
    ]);
  });

  it('pairs compound literals inside the compound literals of a static table, whatever order their references come in', async () => {
    // sound/usb/card.c's quirk table: &(const struct quirk){ ..., &(struct quirk){...} }, with the
    // literals' sections before the table's (-fno-toplevel-reorder gives that order here).
    const source = (extra: string, factor: number) => `
struct quirk { int kind; const struct quirk *next; };
struct entry { int id; const struct quirk *quirk; };
int use(const void *p);
${extra}
static const struct entry table[] = {
  { 1, &(const struct quirk){ 1, &(const struct quirk){ 2, &(struct quirk){ 3, 0 } } } },
  { 2, &(const struct quirk){ 4, 0 } },
};
struct driver { const struct entry *ids; };
struct driver drv = { .ids = table };
int lookup(int i) { return use(&drv) * ${factor} + i; }
`;
    // A new static local before the table shifts gcc's numbering of the compound literals.
    const pair = await compilePair(
      workdir,
      'compound-literals',
      source('', 1),
      source('int early(void) { static int count; return use(&count); }', 2),
      ['-fno-toplevel-reorder'],
    );
    const sections = readelf(['-SW', pair.original]);
    expect(sections.indexOf('.rela.rodata.__compound_literal')).toBeLessThan(sections.indexOf('.rela.rodata.table'));
    const result = diffObjects(pair);
    expect(result.refusals.map((r) => r.reason)).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['lookup']);
    expect(result.newFunctions).toEqual(['early']);
  });

  it('never correlates special statics (__key style), so a changed user gets a fresh one', async () => {
    const source = (value: number) => `
struct lock_class_key { char dummy; };
void lockdep_init(void *lock, struct lock_class_key *key);
void setup(void *lock) { static struct lock_class_key __key; lockdep_init(lock, &__key); }
int value(void) { return ${value}; }
`;
    const result = await diffSources(workdir, 'special', source(1), source(2));
    expect(result.changedFunctions).toEqual(['value']);
    expect(result.notes.join('\n')).not.toMatch(/__key/);
  });

  it('follows .cold children with their parent', async () => {
    const source = (message: string) => `
void report(const char *msg) __attribute__((cold));
int work(int x) {
  if (__builtin_expect(x < 0, 0)) { report("${message}"); return -1; }
  return x * 2;
}
`;
    const result = await diffSources(workdir, 'cold', source('negative'), source('below zero'));
    const names = readelf(['-sW', result.pair.original]);
    expect(names).toMatch(/work\.cold/);
    expect(result.outcome).toBe('changed');
    // The child is never reported on its own; its parent is.
    expect(result.changedFunctions).toEqual(['work']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(
      nmFunctions(out)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['work', 'work.cold']);
  });

  it('matches .constprop/.isra clones by name without their numbers', async () => {
    const source = (factor: number) => `
int sink(int);
static __attribute__((noinline)) int scale(int x, int unused_flag) { return sink(x * ${factor}); }
int a(int x) { return scale(x, 1) + 1; }
int b(int x) { return scale(x, 1) + 2; }
`;
    const result = await diffSources(workdir, 'clones', source(3), source(4));
    const clone = /scale\.(?:constprop|isra)\.\d+/.exec(readelf(['-sW', result.pair.original]))?.[0];
    expect(clone).toBeDefined();
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual([clone]);
  });
});
