import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { generateModuleSources, objectIdentifier } from '../../../src/emit/generate.js';
import type { PatchModuleSpec } from '../../../src/emit/spec.js';

/**
 * Just enough of the kernel's headers for the generated C: the livepatch structures with the
 * field names and types of Linux 6.1, and the module macros as data the harness can read.
 */
const STUB_HEADERS: Record<string, string> = {
  'linux/kernel.h': `#pragma once
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)
`,
  'linux/module.h': `#pragma once
struct module { const char *name; };
extern struct module __this_module;
#define THIS_MODULE (&__this_module)
#define __init __attribute__((cold))
#define __exit __attribute__((cold))
#define __MODINFO_ID2(tag, line) modinfo_##tag##_##line
#define __MODINFO_ID(tag, line) __MODINFO_ID2(tag, line)
#define MODULE_INFO(tag, info) const char __MODINFO_ID(tag, __LINE__)[] = #tag "=" info
#define MODULE_LICENSE(_license) MODULE_INFO(license, _license)
#define MODULE_DESCRIPTION(_text) MODULE_INFO(description, _text)
#define module_init(fn) int init_module(void) __attribute__((alias(#fn)))
#define module_exit(fn) void cleanup_module(void) __attribute__((alias(#fn)))
#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)
#define MODULE_IMPORT_NS(ns) MODULE_INFO(import_ns, __stringify(ns))
`,
  'linux/livepatch.h': `#pragma once
struct klp_object;
struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
};
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;
};
struct klp_state;
struct klp_patch {
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;
};
int klp_enable_patch(struct klp_patch *patch);
`,
};

/**
 * A host program that includes the generated C, defines the replacement functions and
 * callbacks it declares, and prints what klp_enable_patch receives.
 */
const HARNESS = `#include "livepatch-module.c"
int printf(const char *, ...);
struct module __this_module = { "harness" };
#define FN(name) void name(void) {}
FN(tsbp_new_cmdline_proc_show) FN(tsbp_new_helper) FN(tsbp_new_callbacks_mod_work_func)
int tsbp_cb_pre(struct klp_object *obj) { return 0; }
void tsbp_cb_post_unpatch(struct klp_object *obj) {}
static const char *fn_name(void *fn)
{
	if (fn == (void *)tsbp_new_cmdline_proc_show) return "tsbp_new_cmdline_proc_show";
	if (fn == (void *)tsbp_new_helper) return "tsbp_new_helper";
	if (fn == (void *)tsbp_new_callbacks_mod_work_func) return "tsbp_new_callbacks_mod_work_func";
	return "?";
}
int klp_enable_patch(struct klp_patch *patch)
{
	printf("mod=%s replace=%d\\n", patch->mod->name, patch->replace);
	for (struct klp_object *obj = patch->objs; obj->funcs; obj++) {
		printf("object %s pre=%d post=%d pre_unpatch=%d post_unpatch=%d\\n", obj->name ? obj->name : "(NULL)",
		       obj->callbacks.pre_patch == tsbp_cb_pre, obj->callbacks.post_patch != 0,
		       obj->callbacks.pre_unpatch != 0, obj->callbacks.post_unpatch == tsbp_cb_post_unpatch);
		for (struct klp_func *f = obj->funcs; f->old_name; f++)
			printf("  %s -> %s pos %lu\\n", f->old_name, fn_name(f->new_func), f->old_sympos);
	}
	return 7;
}
int main(void)
{
	printf("init returned %d\\n", init_module());
	return 0;
}
`;

const SPEC: PatchModuleSpec = {
  name: 'livepatch-demo-fix',
  description: 'fixes "quoted" things \\ and\nmore',
  patches: ['demo.patch', 'other.patch'],
  kernelRelease: '6.1.0-tsbp',
  toolVersion: '0.1.0',
  replace: false,
  objects: [
    {
      name: null,
      funcs: [
        { oldName: 'cmdline_proc_show', newSymbol: 'tsbp_new_cmdline_proc_show', sympos: 0 },
        { oldName: 'helper', newSymbol: 'tsbp_new_helper', sympos: 2 },
      ],
      callbacks: {},
    },
    {
      name: 'livepatch_callbacks_mod',
      funcs: [{ oldName: 'callbacks_mod_work_func', newSymbol: 'tsbp_new_callbacks_mod_work_func', sympos: 0 }],
      callbacks: { prePatch: 'tsbp_cb_pre', postUnpatch: 'tsbp_cb_post_unpatch' },
    },
  ],
  diffedObjects: ['fs__proc__cmdline.o', 'samples__livepatch__livepatch-callbacks-mod.o'],
};

let tmp: DirectoryResult;
let include: string;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'kmod-generate-' });
  include = join(tmp.path, 'include');
  for (const [name, text] of Object.entries(STUB_HEADERS)) {
    await mkdir(join(include, 'linux'), { recursive: true });
    await writeFile(join(include, name), text);
  }
});
afterAll(async () => tmp?.cleanup());

async function writeSource(name: string, source: string): Promise<string> {
  const directory = join(tmp.path, name);
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'livepatch-module.c');
  await writeFile(path, source);
  return directory;
}

const GCC_CHECKS = [
  '-std=gnu11',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Werror',
  '-Werror=incompatible-pointer-types',
];

describe('generateModuleSources', () => {
  it('writes C that gcc accepts against the livepatch structures, with no warning', async () => {
    const { source } = await generateModuleSources(SPEC);
    const directory = await writeSource('syntax', source);
    await execa('gcc', [
      '-fsyntax-only',
      ...GCC_CHECKS,
      '-nostdinc',
      `-I${include}`,
      '-DKBUILD_MODNAME="livepatch_demo_fix"',
      join(directory, 'livepatch-module.c'),
    ]);
  });

  it('fills klp_func, klp_object and klp_patch with what the spec says (read back by a host program)', async () => {
    const { source } = await generateModuleSources(SPEC);
    const directory = await writeSource('run', source);
    await writeFile(join(directory, 'harness.c'), HARNESS);
    const program = join(directory, 'harness');
    await execa('gcc', ['-std=gnu11', `-I${include}`, `-I${directory}`, '-o', program, join(directory, 'harness.c')]);
    const { stdout } = await execa(program);
    expect(stdout.split('\n')).toEqual([
      'mod=harness replace=0',
      'object (NULL) pre=0 post=0 pre_unpatch=0 post_unpatch=0',
      '  cmdline_proc_show -> tsbp_new_cmdline_proc_show pos 0',
      '  helper -> tsbp_new_helper pos 2',
      'object livepatch_callbacks_mod pre=1 post=0 pre_unpatch=0 post_unpatch=1',
      '  callbacks_mod_work_func -> tsbp_new_callbacks_mod_work_func pos 0',
      'init returned 7',
    ]);
  });

  it('says what it is in comments and module info, with the description escaped for C', async () => {
    const { source } = await generateModuleSources(SPEC);
    expect(source).not.toMatch(/@[A-Z_]+@/);
    expect(source).toContain('livepatch-demo-fix: a livepatch module generated by tsbuild-patch 0.1.0');
    expect(source).toContain('Patches: demo.patch, other.patch');
    expect(source).toContain('Kernel:  6.1.0-tsbp');
    expect(source).toContain('MODULE_DESCRIPTION("fixes \\"quoted\\" things \\\\ and\\nmore");');
    expect(source).toContain('MODULE_INFO(livepatch, "Y");');
    expect(source).toContain('.replace = false,');
  });

  it('records its target objects, and imports the namespaces of the exports it uses', async () => {
    const { source } = await generateModuleSources({ ...SPEC, importNamespaces: ['CXL', 'DMA_BUF'] });
    expect(source).toMatch(/MODULE_INFO\(livepatch_objects, "[^"]+"\);/);
    expect(source).toContain('MODULE_IMPORT_NS(CXL);\nMODULE_IMPORT_NS(DMA_BUF);');
    expect((await generateModuleSources(SPEC)).source).not.toContain('MODULE_IMPORT_NS');
    await expect(generateModuleSources({ ...SPEC, importNamespaces: ['NOT AN IDENT'] })).rejects.toThrow(
      /not an identifier/,
    );
  });

  it('declares each replacement function and callback with the type its field needs', async () => {
    const { source } = await generateModuleSources(SPEC);
    expect(source).toContain('void tsbp_new_cmdline_proc_show(void);');
    expect(source).toContain('int tsbp_cb_pre(struct klp_object *obj);');
    expect(source).toContain('void tsbp_cb_post_unpatch(struct klp_object *obj);');
    expect(source.match(/\.callbacks = \{/g)).toHaveLength(1);
    expect(source).toContain('.pre_patch = tsbp_cb_pre,');
    expect(source).toContain('.post_unpatch = tsbp_cb_post_unpatch,');
    expect(source).not.toContain('.post_patch');
    expect(source).toContain('.name = NULL,');
    expect(source).toContain('.name = "livepatch_callbacks_mod",');
    expect(source).toMatch(/\.old_name = "helper",\s+\.new_func = tsbp_new_helper,\s+\.old_sympos = 2,/);
  });

  it('leaves out the callbacks entirely when there are none, and can replace earlier patches', async () => {
    const spec: PatchModuleSpec = {
      ...SPEC,
      replace: true,
      objects: [SPEC.objects[0]!],
      diffedObjects: ['fs__proc__cmdline.o'],
    };
    const { source } = await generateModuleSources(spec);
    expect(source).not.toContain('callbacks');
    expect(source).not.toContain('Callbacks');
    expect(source).toContain('.replace = true,');
    const directory = await writeSource('no-callbacks', source);
    await execa('gcc', [
      '-fsyntax-only',
      ...GCC_CHECKS,
      '-nostdinc',
      `-I${include}`,
      join(directory, 'livepatch-module.c'),
    ]);
  });

  it('writes a Kbuild file that links the skeleton and the diffed objects into one module', async () => {
    const { kbuild } = await generateModuleSources(SPEC);
    const lines = kbuild.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines).toEqual([
      'obj-m := livepatch-demo-fix.o',
      'livepatch-demo-fix-y := livepatch-module.o fs__proc__cmdline.o samples__livepatch__livepatch-callbacks-mod.o',
    ]);
  });
});

describe('objectIdentifier', () => {
  it('makes C identifiers of object names', () => {
    expect(objectIdentifier({ name: null, funcs: [], callbacks: {} })).toBe('vmlinux');
    expect(objectIdentifier({ name: 'livepatch-callbacks.mod', funcs: [], callbacks: {} })).toBe(
      'livepatch_callbacks_mod',
    );
  });
});
