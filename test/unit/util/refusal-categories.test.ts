/**
 * Every refusal carries the category of the rule that made it (src/util/refusal.ts). One row
 * per rule: the refusal is really produced (small objects compiled with gcc, kconfig texts,
 * module checks) and its category checked; every category has at least one row. The config
 * policy has a row per option in test/unit/kernel/config-policy.test.ts.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { readElf } from '../../../src/elf/index.js';
import { objectsAffectedBy } from '../../../src/kbuild/object-index.js';
import { CACHE_FORMATS } from '../../../src/util/cache-formats.js';
import { checkKernelConfig } from '../../../src/kernel/config-policy.js';
import { checkModule } from '../../../src/emit/check-module.js';
import { checkIbtTargets, type IbtTargets } from '../../../src/emit/check-ibt.js';
import { checkVersions } from '../../../src/emit/check-versions.js';
import { chooseTargetSymbol, resolveUndefinedSymbols } from '../../../src/emit/resolve.js';
import { parseSymvers } from '../../../src/kernel/symvers.js';
import { TargetSymbols } from '../../../src/emit/symbol-positions.js';
import { checkPatchPaths } from '../../../src/patches/patch-policy.js';
import { klpObjects, type PatchObject } from '../../../src/pipeline/patch-objects.js';
import { failureReport } from '../../../src/report/failure-report.js';
import { RefusedError, UserError } from '../../../src/util/errors.js';
import { REFUSAL_CATEGORIES, type Refusal, type RefusalCategory } from '../../../src/util/refusal.js';
import { compilePair, diffSources, workDirectory } from '../diff/compile.js';
import { buildVmlinuxLike, compile } from '../emit/kernel-like.js';
import { ibtTargets, livepatchObject } from '../emit/ibt-like.js';
import { builtinModuleNames } from '../../../src/kernel/facts/builtin-modules.js';
import { checkNotBuiltinName } from '../../../src/kernel/module-name.js';
import { buildBuiltinLike } from '../kernel/builtin-like.js';

let workdir: DirectoryResult;
let vmlinux: Promise<TargetSymbols> | undefined;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => workdir?.cleanup());

/** The refusals of diffing ORIGINAL against PATCHED (C sources, compiled like kernel objects). */
async function differ(name: string, original: string, patched: string): Promise<readonly Refusal[]> {
  const result = await diffSources(workdir, name, original, patched);
  expect(result.outcome).toBe('refused');
  return result.refusals;
}

/** The refusals of diffing against a module target that is the original object itself. */
async function differForModule(name: string, original: string, patched: string): Promise<readonly Refusal[]> {
  const pair = await compilePair(workdir, name, original, patched);
  const parent = join(pair.directory, 'target-mod.ko');
  await copyFile(pair.original, parent);
  return diffObjects({ ...pair, parent }).refusals;
}

/** The reasons of the RefusedError RUN throws. */
async function refused(run: () => unknown): Promise<readonly Refusal[]> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(RefusedError);
  return (error as RefusedError).reasons;
}

const vmlinuxLike = () =>
  (vmlinux ??= buildVmlinuxLike(join(workdir.path, 'vmlinux-like')).then((path) =>
    TargetSymbols.read('vmlinux', path),
  ));

let ibt: Promise<IbtTargets> | undefined;
/** The refusals of the IBT check of a livepatch made of SOURCE, against an IBT kernel-like vmlinux. */
async function ibtRefusals(source: string): Promise<readonly Refusal[]> {
  const directory = join(workdir.path, 'ibt');
  const targets = await (ibt ??= ibtTargets(directory));
  const ko = await livepatchObject(
    directory,
    targets,
    `extern int sealed_fn(int); extern int plain_static(int);\n${source}`,
  );
  return refused(() => checkIbtTargets(ko, targets));
}

const VERMAGIC = '6.1.0-tsbp SMP preempt mod_unload ';

/** A module-like object: a vermagic in .modinfo, an undefined symbol, and a __versions entry (CRC 0x1234) for it. */
const MODULE = `static const char vermagic[] __attribute__((section(".modinfo"), used, aligned(1))) = "vermagic=${VERMAGIC}";
struct modversion_info { unsigned long crc; char name[56]; };
static const struct modversion_info versions[] __attribute__((section("__versions"), used, aligned(8))) = { { 0x1234, "imported_fn" } };
extern int imported_fn(void);
int f(void) { return imported_fn(); }
`;
const moduleKo = async (name: string) => readElf(await compile(workdir.path, `${name}/livepatch-demo.c`, MODULE));

const withOsabi = async (object: string, osabi: number) => {
  const bytes = await readFile(object);
  bytes[7] = osabi;
  await writeFile(object, bytes);
};

const INIT = (value: number) => `
int setup_value;
__attribute__((section(".init.text"))) int boot_setup(void) { setup_value = ${value}; return 0; }
int runtime(void) { return setup_value; }
`;

/** A jump label (or, with STATIC_CALL, a static call site) on a key the object defines. */
const KEYED = (kind: 'jump' | 'call', change: number) =>
  kind === 'jump'
    ? `
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
`
    : `
struct static_call_key { void *func; };
struct static_call_key __SCK__demo_hook;
void __SCT__demo_hook(int x);
int helper(int x);
int calls_hook(int x) {
  asm volatile("1: call __SCT__demo_hook\\n .pushsection .static_call_sites, \\"aw\\"\\n .balign 4\\n"
               " .long 1b - .\\n .long __SCK__demo_hook - .\\n .popsection\\n");
  return helper(x) + ${change};
}
`;

/** A function in a COMDAT section group of its own (with the fentry call the kernel's have). */
const GROUPED = (value: number) => `
int helper(int x);
asm(".section .text.grouped,\\"axG\\",@progbits,grouped,comdat\\n.globl grouped\\n.type grouped,@function\\n"
    "grouped:\\n call __fentry__\\n mov $${value},%eax\\n ret\\n.size grouped,.-grouped\\n.previous\\n");
int user(int x) { return helper(x); }
`;

/** Two static locals of one function, in the sections named (or each in its own, for ''). */
const STATIC_LOCALS = (first: string, second: string, value: number) => {
  const section = (name: string) => (name ? ` __attribute__((section("${name}")))` : '');
  return `int use(int *p);
int counted(void) { static int calls${section(first)}; static int more${section(second)}; use(&calls); use(&more); return ${value}; }
`;
};

const CALLBACKS = (value: number, callbacks: string) => `#include "kpatch-macros.h"
int helper(int x);
int fixed(int x) { return helper(x) + ${value}; }
${callbacks}
`;

/** A patch object of the vmlinux target whose pre_patch callback is FN. */
const withPrePatch = (fn: string) =>
  ({
    diff: { pair: { object: { target: 'vmlinux' } } },
    funcs: [],
    callbacks: { pre_patch: fn },
  }) as unknown as PatchObject;

interface Row {
  rule: string;
  category: RefusalCategory;
  produce: () => Promise<readonly Refusal[]>;
}

const ROWS: Row[] = [
  {
    rule: 'patch paths: assembly',
    category: 'path-policy',
    produce: () =>
      refused(() =>
        checkPatchPaths([
          {
            path: 'fix.patch',
            text: '',
            files: [{ path: 'arch/x86/entry/entry_64.S', created: false, deleted: false }],
          },
        ]),
      ),
  },
  {
    rule: 'changed file no object is built from',
    category: 'path-policy',
    produce: () =>
      refused(() =>
        objectsAffectedBy({ version: CACHE_FORMATS.objectIndex, headers: [], objects: [] }, [
          'Documentation/index.rst',
        ]),
      ),
  },
  { rule: 'changed __init code', category: 'init-code', produce: () => differ('init', INIT(1), INIT(2)) },
  {
    rule: 'changed function without an ftrace entry',
    category: 'no-ftrace-entry',
    produce: () =>
      differ(
        'notrace',
        ...([3, 5].map((f) => `__attribute__((no_instrument_function)) int untraced(int x) { return x * ${f}; }\n`) as [
          string,
          string,
        ]),
      ),
  },
  {
    rule: 'grown variable',
    category: 'data-size-changed',
    produce: () =>
      differ(
        'grown',
        ...([16, 24].map((n) => `char buffer[${n}];\nchar *get_buffer(void) { return buffer; }\n`) as [string, string]),
      ),
  },
  {
    rule: 'struct layout changed under a function that uses it (DWARF)',
    category: 'struct-layout-changed',
    produce: async () => {
      const [original, patched] = ['', 'int added;'].map(
        (m) => `struct ctx { ${m} long id; };\nlong get_id(struct ctx *c) { return c->id; }\n`,
      ) as [string, string];
      return diffObjects(await compilePair(workdir, 'layout', original, patched, ['-g'])).refusals;
    },
  },
  {
    rule: 'changed initial value of existing data',
    category: 'existing-data',
    produce: () =>
      differ(
        'data',
        ...([20, 30].map((n) => `int limits[2] = { 10, ${n} };\nint read_limit(int i) { return limits[i & 1]; }\n`) as [
          string,
          string,
        ]),
      ),
  },
  {
    rule: 'variable moved to another section',
    category: 'existing-data',
    produce: () =>
      differ(
        'moved',
        ...(['', '__attribute__((section(".data.flag_moved")))'].map(
          (a) => `${a} int flag = 0;\nint get_flag(void) { return flag; }\n`,
        ) as [string, string]),
      ),
  },
  {
    rule: 'static call on a key the target module owns',
    category: 'static-call-module-key',
    produce: () => differForModule('call-module', KEYED('call', 1), KEYED('call', 2)),
  },
  {
    rule: 'jump label on a key the target module owns',
    category: 'static-key-in-module',
    produce: () => differForModule('jump-module', KEYED('jump', 1), KEYED('jump', 2)),
  },
  {
    rule: 'static made global',
    category: 'symbol-changed',
    produce: () =>
      differ(
        'binding',
        ...(['static', ''].map(
          (b) =>
            `int helper(int x);\n${b} __attribute__((noinline)) int destroy(int x) { return helper(x) + 1; }\nint caller(int x) { return destroy(x); }\n`,
        ) as [string, string]),
      ),
  },
  {
    rule: 'change in a section of several functions',
    category: 'shared-text-section',
    produce: () =>
      differ(
        'sched-text',
        ...([1, 2].map(
          (v) => `int helper(int x);
__attribute__((section(".sched.text"), noinline)) int lock_slow(int x) { return helper(x) + ${v}; }
__attribute__((section(".sched.text"), noinline)) int lock_fast(int x) { return helper(x) - 1; }
int caller(int x) { return lock_slow(x) + lock_fast(x); }
`,
        ) as [string, string]),
      ),
  },
  {
    rule: 'changed section in a section group',
    category: 'section-group',
    produce: () => differ('grouped', GROUPED(1), GROUPED(2)),
  },
  {
    rule: 'new section group',
    category: 'section-group',
    produce: () => differ('new-group', 'int helper(int x);\nint user(int x) { return helper(x); }\n', GROUPED(1)),
  },
  {
    rule: 'changed section the patch cannot carry',
    category: 'section-not-selected',
    produce: () =>
      differ(
        'odd-section',
        ...([1, 2].map((v) => `__attribute__((section(".odd"), used)) int odd = ${v};\n`) as [string, string]),
      ),
  },
  {
    rule: 'section flags changed',
    category: 'section-header-changed',
    produce: () =>
      differ(
        'flags',
        ...(['', 'const'].map((c) => `__attribute__((section(".odd"), used)) ${c} int odd = 1;\n`) as [string, string]),
      ),
  },
  {
    rule: 'ELF headers differ',
    category: 'elf-header-changed',
    produce: async () => {
      const pair = await compilePair(
        workdir,
        'osabi',
        'int f(int x) { return x; }\n',
        'int f(int x) { return x + 1; }\n',
      );
      await withOsabi(pair.patched, 3);
      return diffObjects(pair).refusals;
    },
  },
  {
    rule: 'reference to a static local removed',
    category: 'static-local',
    produce: () =>
      differ(
        'writable-static',
        ...(['use(&calls);', ''].map(
          (u) => `int use(int *p);\nint counted(void) { static int calls; ${u} return 0; }\n`,
        ) as [string, string]),
      ),
  },
  {
    rule: 'static local with a section of its own in one copy only',
    category: 'static-local',
    produce: () =>
      differ('static-bundled', STATIC_LOCALS('', '', 0), STATIC_LOCALS('.data.counters', '.data.counters', 0)),
  },
  {
    rule: 'static local in sections that are not twins',
    category: 'static-local',
    produce: () =>
      differ('static-sections', STATIC_LOCALS('.data.a', '.data.a', 0), STATIC_LOCALS('.data.b', '.data.b', 1)),
  },
  {
    rule: 'KPATCH_FORCE_UNSAFE',
    category: 'kpatch-marker',
    produce: () => differ('force', CALLBACKS(1, ''), CALLBACKS(100, 'KPATCH_FORCE_UNSAFE(fixed);')),
  },
  {
    rule: 'two callbacks of one hook in one object',
    category: 'callbacks',
    produce: () =>
      differ(
        'two-pre',
        CALLBACKS(1, ''),
        CALLBACKS(
          100,
          `static int first(patch_object *obj) { return helper(1); }
static int second(patch_object *obj) { return helper(2); }
KPATCH_PRE_PATCH_CALLBACK(first);
KPATCH_PRE_PATCH_CALLBACK(second);
`,
        ),
      ),
  },
  {
    rule: 'two callbacks of one hook for one target, from two objects',
    category: 'callbacks',
    produce: () => refused(() => klpObjects([withPrePatch('first'), withPrePatch('second')])),
  },
  {
    rule: 'module symbol the running kernel does not export',
    category: 'unexported-symbol',
    produce: async () => refused(async () => checkModule(await moduleKo('unexported'), parseSymvers(''), VERMAGIC)),
  },
  {
    rule: '__versions entry of a symbol the running kernel does not export',
    category: 'unexported-symbol',
    produce: async () => refused(async () => checkVersions(await moduleKo('versions-unexported'), parseSymvers(''))),
  },
  {
    rule: 'patch refers to a symbol neither vmlinux nor an export has',
    category: 'unexported-symbol',
    produce: async () => {
      const object = await readElf(
        await compile(workdir.path, 'nowhere/fix.c', 'extern int absent(void);\nint f(void) { return absent(); }\n'),
      );
      const context = {
        objectPath: 'nowhere/fix.o',
        sourceFile: 'fix.c',
        originalLocals: new Set<string>(),
        target: 'vmlinux',
        vmlinux: await vmlinuxLike(),
        exports: parseSymvers(''),
        definedInPatch: new Set<string>(),
      };
      return refused(() => resolveUndefinedSymbols(object, context));
    },
  },
  {
    rule: 'static of files of the same name',
    category: 'ambiguous-symbol',
    produce: async () => {
      const symbols = await vmlinuxLike();
      return refused(() =>
        chooseTargetSymbol(symbols, 'helper', true, {
          objectPath: 'x/common.o',
          sourceFile: 'common.c',
          originalLocals: new Set(['helper']),
        }),
      );
    },
  },
  {
    rule: "CRC other than the running kernel's",
    category: 'modversions-crc',
    produce: async () =>
      refused(async () =>
        checkVersions(await moduleKo('versions-crc'), parseSymvers('0x5678\timported_fn\tvmlinux\tEXPORT_SYMBOL\t\n')),
      ),
  },
  {
    rule: "vermagic other than the running kernel's",
    category: 'vermagic',
    produce: async () =>
      refused(async () =>
        checkModule(
          await moduleKo('vermagic'),
          parseSymvers('0x1234\timported_fn\tvmlinux\tEXPORT_SYMBOL\t\n'),
          '6.1.0-other SMP ',
        ),
      ),
  },
  {
    rule: 'address of a kernel function whose ENDBR an IBT kernel seals',
    category: 'sealed-endbr',
    produce: () => ibtRefusals('int (*const hook)(int) = sealed_fn;\n'),
  },
  {
    rule: 'address of a kernel function without ENDBR, on an IBT kernel',
    category: 'missing-endbr',
    produce: () => ibtRefusals('int (*const hook)(int) = plain_static;\n'),
  },
  {
    rule: "a module name the kernel has for built-in code (a built-in parameter's prefix)",
    category: 'builtin-module-name',
    produce: async () => {
      const names = await builtinModuleNames(await buildBuiltinLike(join(workdir.path, 'builtin')));
      return refused(() => checkNotBuiltinName('syscall', names, '6.1.0-tsbp'));
    },
  },
  ...(
    [
      ['# CONFIG_LIVEPATCH is not set', 'config-livepatch-missing'],
      ['CONFIG_RANDSTRUCT_FULL=y', 'config-randstruct'],
      ['CONFIG_GCC_PLUGIN_LATENT_ENTROPY=y', 'config-latent-entropy'],
      ['CONFIG_DEBUG_INFO_SPLIT=y', 'config-debug-info-split'],
      ['CONFIG_LTO_CLANG_THIN=y', 'config-lto'],
      ['CONFIG_LD_DEAD_CODE_DATA_ELIMINATION=y', 'config-gc-sections'],
    ] as const
  ).map(([line, category]): Row => ({
    rule: `config: ${line}`,
    category,
    produce: () =>
      refused(() =>
        checkKernelConfig(
          `CONFIG_64BIT=y\n${line.includes('LIVEPATCH') ? '' : 'CONFIG_LIVEPATCH=y\n'}${line}\n`,
          'running kernel',
        ),
      ),
  })),
];

describe('refusal categories', () => {
  it.each(ROWS)('$rule -> $category', async ({ category, produce }) => {
    const refusals = await produce();
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.map((r) => r.category)).toEqual(refusals.map(() => category));
  });

  it('has a rule above for every category', () => {
    const produced = new Set(ROWS.map((row) => row.category));
    expect(Object.keys(REFUSAL_CATEGORIES).filter((category) => !produced.has(category as RefusalCategory))).toEqual(
      [],
    );
  });

  it('are all listed in the README', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../../README.md'), 'utf8');
    expect(Object.keys(REFUSAL_CATEGORIES).filter((category) => !readme.includes(`| \`${category}\` |`))).toEqual([]);
  });

  it('are in the --json report of a refused run, per reason and object, as the rule made them', () => {
    const refusal = new RefusedError('the patch cannot be live-patched safely', [
      { object: 'kernel/panic.o', reason: 'symbol x moved from section .bss.x to .data.x', category: 'existing-data' },
    ]);
    expect(failureReport(refusal)).toEqual({
      schemaVersion: 1,
      outcome: 'refused',
      exitCode: 2,
      message: 'the patch cannot be live-patched safely',
      reasons: [
        {
          object: 'kernel/panic.o',
          reason: 'symbol x moved from section .bss.x to .data.x',
          category: 'existing-data',
        },
      ],
    });
    expect(failureReport(new UserError('no functional change in fs/proc/cmdline.o', { exitCode: 3 }))).toMatchObject({
      outcome: 'no-change',
      exitCode: 3,
      reasons: [],
    });
  });
});
