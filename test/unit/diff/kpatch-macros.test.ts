/**
 * kpatch's author macros (kmod-template/include/kpatch-macros.h and kpatch-syscall.h) as
 * patches written for kpatch use them, compiled with gcc like kernel objects and diffed.
 * The kernel headers they need are small stand-ins in fixtures/include.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { join } from 'node:path';
import { writePatchObject } from '../../../src/diff/output.js';
import { compileC, diffSources, workDirectory } from './compile.js';
import { nmFunctions, readelf } from './binutils.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

const BASE = `
int helper(int x);
int fixed(int x) { return helper(x) + 1; }
int noisy(int x) { return helper(x) + 2; }
`;

describe('kpatch-macros.h', () => {
  it('takes callbacks and ignore markers written with or without a trailing semicolon', async () => {
    const patched = `#include "kpatch-macros.h"
${BASE.replace('helper(x) + 1', 'helper(x) + 100').replace('helper(x) + 2', 'helper(x) + 200')}
__attribute__((section(".text.debugging"))) int debugging(int x) { return helper(x) * 9; }
static int pre(patch_object *obj) { return helper(obj->name != 0); }
static void post(patch_object *obj) { helper(2); }
static void pre_un(patch_object *obj) { helper(3); }
static void post_un(patch_object *obj) { helper(4); }
KPATCH_PRE_PATCH_CALLBACK(pre)
KPATCH_POST_PATCH_CALLBACK(post);
KPATCH_PRE_UNPATCH_CALLBACK(pre_un)
KPATCH_POST_UNPATCH_CALLBACK(post_un);
KPATCH_IGNORE_FUNCTION(noisy)
KPATCH_IGNORE_SECTION(".text.debugging");
`;
    const original = `${BASE}\n__attribute__((section(".text.debugging"))) int debugging(int x) { return helper(x) * 8; }\n`;
    const result = await diffSources(workdir, 'kpatch-all', original, patched);
    expect(result.refusals.map((r) => r.reason)).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['fixed']);
    expect(result.callbacks.map((c) => `${c.hook}:${c.function}`).sort()).toEqual([
      'post_patch:post',
      'post_unpatch:post_un',
      'pre_patch:pre',
      'pre_unpatch:pre_un',
    ]);
    expect(result.notes).toContain('ignoring function: noisy');
    expect(result.notes).toContain('ignoring section: .text.debugging');
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(
      nmFunctions(out)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['fixed', 'post', 'post_un', 'pre', 'pre_un']);
    expect(readelf(['-S', '-W', out])).not.toContain('.kpatch.ignore');
  });

  it('refuses two callbacks of one hook in one object, which the livepatch core could not both run', async () => {
    const patched = `#include "kpatch-macros.h"
${BASE.replace('helper(x) + 1', 'helper(x) + 100')}
static int first(patch_object *obj) { return helper(1); }
static int second(patch_object *obj) { return helper(2); }
static void after(patch_object *obj) { helper(3); }
KPATCH_PRE_PATCH_CALLBACK(first);
KPATCH_PRE_PATCH_CALLBACK(second);
KPATCH_POST_PATCH_CALLBACK(after);
`;
    const result = await diffSources(workdir, 'kpatch-two-pre', BASE, patched);
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^2 pre_patch callbacks in one object \(first, second\): the livepatch core runs one/),
    ]);
  });

  it('refuses a callback of the wrong type at compile time', async () => {
    const source = `#include "kpatch-macros.h"
static void wrong(patch_object *obj) { }
KPATCH_PRE_PATCH_CALLBACK(wrong);
`;
    await expect(
      compileC(
        workdir.path,
        'wrong-callback',
        `#pragma GCC diagnostic error "-Wincompatible-pointer-types"\n${source}`,
      ),
    ).rejects.toThrow(/incompatible/);
  });

  it('KPATCH_PRINTK and KPATCH_PRINTK_DEFERRED change only the function that uses them', async () => {
    const original = `#include "kpatch-macros.h"\n${BASE}`;
    const patched = `#include "kpatch-macros.h"
int helper(int x);
int fixed(int x) { int r = helper(x) + 1; KPATCH_PRINTK("fixed %d\\n", r); KPATCH_PRINTK_DEFERRED("deferred %d\\n", r); return r; }
int noisy(int x) { return helper(x) + 2; }
`;
    const result = await diffSources(workdir, 'kpatch-printk', original, patched);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['fixed']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    const relocations = readelf(['-r', '-W', out]);
    expect(relocations).toMatch(/\bprintk\b/);
    expect(relocations).toMatch(/\bprintk_deferred\b/);
  });

  it('KPATCH_STATIC_CALL calls through the key, never the trampoline', async () => {
    const declarations = `#include "kpatch-macros.h"
extern struct static_call_key __SCK__demo_op;
extern int __SCT__demo_op(int);
`;
    const original = `${declarations}int use(int x) { return x + 1; }\n`;
    const patched = `${declarations}int use(int x) { return KPATCH_STATIC_CALL(demo_op)(x) + 1; }\n`;
    const result = await diffSources(workdir, 'kpatch-static-call', original, patched);
    expect(result.changedFunctions).toEqual(['use']);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    const relocations = readelf(['-r', '-W', out]);
    expect(relocations).toContain('__SCK__demo_op');
    expect(relocations).not.toContain('__SCT__demo_op');
  });
});

describe('kpatch-syscall.h', () => {
  it('KPATCH_SYSCALL_DEFINE1..6 define each entry point with the body renamed', async () => {
    const defines = [1, 2, 3, 4, 5, 6].map((n) => {
      const params = Array.from({ length: n }, (_, i) => `long, a${i}`).join(', ');
      const sum = Array.from({ length: n }, (_, i) => `a${i}`).join(' + ');
      return `KPATCH_SYSCALL_DEFINE${n}(demo${n}, ${params})\n{\n\treturn ${sum};\n}\n`;
    });
    const source = `#include <linux/syscalls.h>\n#include "kpatch-syscall.h"\n${defines.join('\n')}`;
    const object = await compileC(workdir.path, 'kpatch-syscalls', source);
    const names = nmFunctions(object).map((f) => f.name);
    for (const n of [1, 2, 3, 4, 5, 6]) expect(names).toContain(`__x64_sys_demo${n}`);
    expect(names.filter((name) => name.startsWith('__do_sys_'))).toEqual([]);
  });

  // The shape gcc gives newuname in Linux 6.1: the body stays out of line, without an ftrace entry.
  const ORIGINAL = `#include <linux/syscalls.h>
int helper(long x);
static inline long __do_sys_demo(int a, long b) __attribute__((__noinline__));
SYSCALL_DEFINE2(demo, int, a, long, b)
{
	return helper(a) + b;
}
`;

  it('a changed body under KPATCH_SYSCALL_DEFINE2 replaces the entry point and adds the renamed body', async () => {
    const patched = `#include <linux/syscalls.h>
#include "kpatch-syscall.h"
int helper(long x);
static inline long __kpatch_do_sys_demo(int a, long b) __attribute__((__noinline__));
KPATCH_SYSCALL_DEFINE2(demo, int, a, long, b)
{
	return helper(a) + b * 2;
}
`;
    const result = await diffSources(workdir, 'kpatch-syscall', ORIGINAL, patched);
    expect(result.refusals.map((r) => r.reason)).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['__x64_sys_demo']);
    expect(result.newFunctions).toEqual(['__kpatch_do_sys_demo']);
  });

  it('the same change under SYSCALL_DEFINE2 is refused, pointing at KPATCH_SYSCALL_DEFINE<n>', async () => {
    const patched = ORIGINAL.replace('return helper(a) + b;', 'return helper(a) + b * 2;');
    const result = await diffSources(workdir, 'plain-syscall', ORIGINAL, patched);
    expect(result.outcome).toBe('refused');
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(
        /^function __do_sys_demo changed but has no ftrace entry .*KPATCH_SYSCALL_DEFINE<n> from "kpatch-syscall\.h".*__x64_sys_demo/,
      ),
    ]);
  });
});
