/**
 * Callback and ignore markers, from our <linux/livepatch_helpers.h> and from kpatch's
 * kpatch-macros.h, compiled with gcc-12 and found by the differ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { join } from 'node:path';
import { writePatchObject } from '../../../src/diff/output.js';
import { diffSources, workDirectory } from './compile.js';
import { nmFunctions } from './binutils.js';

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

describe('marker headers', () => {
  it('finds callbacks declared with livepatch_helpers.h and ships their functions', async () => {
    const patched = `#include <linux/livepatch_helpers.h>
${BASE.replace('helper(x) + 1', 'helper(x) + 100')}
static int check_state(struct klp_object *obj) { return helper(0); }
static void announce(struct klp_object *obj) { helper(1); }
KLP_PRE_PATCH_CALLBACK(check_state);
KLP_POST_UNPATCH_CALLBACK(announce);
`;
    const result = await diffSources(workdir, 'callbacks', BASE, patched);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['fixed']);
    expect([...result.callbacks].sort((a, b) => a.hook.localeCompare(b.hook))).toEqual([
      { hook: 'post_unpatch', function: 'announce' },
      { hook: 'pre_patch', function: 'check_state' },
    ]);
    const out = join(result.pair.directory, 'out.o');
    writePatchObject(result.patched, out);
    expect(
      nmFunctions(out)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['announce', 'check_state', 'fixed']);
  });

  it('drops changes of a function marked with KLP_IGNORE_FUNCTION and a section with KLP_IGNORE_SECTION', async () => {
    const patched = `#include <linux/livepatch_helpers.h>
${BASE.replace('helper(x) + 1', 'helper(x) + 100').replace('helper(x) + 2', 'helper(x) + 200')}
__attribute__((section(".text.debugging"))) int debugging(int x) { return helper(x) * 9; }
KLP_IGNORE_FUNCTION(noisy);
KLP_IGNORE_SECTION(".text.debugging");
`;
    const original = `${BASE}\n__attribute__((section(".text.debugging"))) int debugging(int x) { return helper(x) * 8; }\n`;
    const result = await diffSources(workdir, 'ignore', original, patched);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['fixed']);
    expect(result.notes).toContain('ignoring function: noisy');
    expect(result.notes).toContain('ignoring section: .text.debugging');
  });

  it('understands kpatch-macros.h (callbacks, ignore)', async () => {
    const patched = `#include <kpatch-macros.h>
${BASE.replace('helper(x) + 1', 'helper(x) + 100').replace('helper(x) + 2', 'helper(x) + 200')}
static int pre(patch_object *obj) { return helper(0); }
KPATCH_PRE_PATCH_CALLBACK(pre);
KPATCH_IGNORE_FUNCTION(noisy);
`;
    const result = await diffSources(workdir, 'kpatch', BASE, patched);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['fixed']);
    expect(result.callbacks).toEqual([{ hook: 'pre_patch', function: 'pre' }]);
    expect(result.notes).toContain('ignoring function: noisy');
  });
});
