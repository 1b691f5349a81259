import { beforeAll, describe, expect, it } from 'vitest';
import { dir as tmpDir } from 'tmp-promise';
import { buildModule, writeModuleDir } from '../../src/emit/build-module.js';
import type { PatchModuleSpec } from '../../src/emit/spec.js';
import { runInVm, type VmResult } from '../../src/vm/run-in-vm.js';
import { testKernel } from './test-kernel.js';

// The generated C skeleton, linked with a hand-written replacement object (what the differ will
// provide), must build against the test kernel and patch it: /proc/cmdline changes, the four
// callbacks run in order, and the module unloads cleanly.
const REPLACEMENT_C = `
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/livepatch.h>

int tsbp_new_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\\n", "patched by a generated skeleton");
	return 0;
}
int tsbp_pre_patch(struct klp_object *obj) { pr_info("tsbp-test: pre_patch %s\\n", obj->name ?: "vmlinux"); return 0; }
void tsbp_post_patch(struct klp_object *obj) { pr_info("tsbp-test: post_patch\\n"); }
void tsbp_pre_unpatch(struct klp_object *obj) { pr_info("tsbp-test: pre_unpatch\\n"); }
void tsbp_post_unpatch(struct klp_object *obj) { pr_info("tsbp-test: post_unpatch\\n"); }
`;

const SCRIPT = `
insmod ./livepatch-skeleton-test.ko; report insmod $?
klp_wait livepatch_skeleton_test; report wait $?
report cmdline "$(cat /proc/cmdline)"
klp_disable livepatch_skeleton_test; report disable $?
report cmdline_after "$(cat /proc/cmdline)"
klp_wait_gone livepatch_skeleton_test
rmmod livepatch_skeleton_test; report rmmod $?
`;

describe('generated livepatch skeleton', () => {
  let result: VmResult;
  let source: string;

  beforeAll(async () => {
    const kernel = await testKernel();
    const { path: dir } = await tmpDir({ unsafeCleanup: true, prefix: 'tsbp-kmod-' });
    const spec: PatchModuleSpec = {
      name: 'livepatch-skeleton-test',
      description: 'skeleton test',
      patches: ['(hand-written)'],
      kernelRelease: kernel.release,
      toolVersion: 'test',
      replace: true,
      objects: [
        {
          name: null,
          funcs: [{ oldName: 'cmdline_proc_show', newSymbol: 'tsbp_new_cmdline_proc_show', sympos: 0 }],
          callbacks: {
            prePatch: 'tsbp_pre_patch',
            postPatch: 'tsbp_post_patch',
            preUnpatch: 'tsbp_pre_unpatch',
            postUnpatch: 'tsbp_post_unpatch',
          },
        },
      ],
      diffedObjects: ['replacement.o'],
    };
    await writeModuleDir(spec, dir, { extraFiles: { 'replacement.c': REPLACEMENT_C } });
    const { readFile } = await import('node:fs/promises');
    source = await readFile(`${dir}/livepatch-module.c`, 'utf8');
    const ko = await buildModule({ tree: kernel.source, dir, name: spec.name });
    result = await runInVm({ bzImage: kernel.bzImage, script: SCRIPT, modules: [ko], timeoutMs: 180_000 });
  });

  it('is readable C naming what it replaces', () => {
    expect(source).toContain('.old_name = "cmdline_proc_show"');
    expect(source).toContain('.new_func = tsbp_new_cmdline_proc_show');
    expect(source).toContain('MODULE_INFO(livepatch, "Y");');
    expect(source).toContain('.replace = true,');
  });

  it('loads, changes /proc/cmdline, runs the callbacks in order, and unloads', () => {
    expect(result.status).toBe('ok');
    expect(result.values['insmod']).toBe('0');
    expect(result.values['wait']).toBe('0');
    expect(result.values['cmdline']).toBe('patched by a generated skeleton');
    expect(result.values['disable']).toBe('0');
    expect(result.values['cmdline_after']).toContain('console=ttyS0');
    expect(result.values['rmmod']).toBe('0');
    const order = [...result.kernelLog.matchAll(/tsbp-test: (\w+)/g)].map((m) => m[1]);
    expect(order).toEqual(['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch']);
  });
});
