/**
 * Objects as kbuild really builds them, in a prepared tree: a change to a C file that another
 * includes builds and patches the including object (kernel/sched/rt.c → build_policy.o); a C file
 * another directory's Makefile builds is built through that Makefile's path and found by its
 * record there (amdgpu's display core). make is played by a fake Runner that leaves the .o and
 * kbuild's .cmd file of each object it is asked for (none for FAILING, and exits 2), recording
 * what it was asked; the running kernel's units come from a vmlinux compiled with -g and a
 * module-units.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateInPreparedTree } from '../../../src/kbuild/prepared-objects.js';
import { cmdFileOf } from '../../../src/kbuild/object-index.js';
import { writeModuleUnits, MODULE_UNITS_VERSION } from '../../../src/kernel/facts/module-units.js';
import type { Runner } from '../../../src/toolchain/runner.js';
import type { WorkTree } from '../../../src/kbuild/work-tree.js';
import type { TargetKernel } from '../../../src/kernel/target-kernel.js';
import { kbuildRecord } from '../../support/kbuild-record.js';

/** The tree: what each source includes. */
const SOURCES: Record<string, string> = {
  'kernel/sched/sched.h': 'struct rq;\n',
  'kernel/sched/rt.c': 'static int rt_fn(void) { return 1; }\n',
  'kernel/sched/build_policy.c': '#include "sched.h"\n#include "rt.c"\n',
  'kernel/sched/core.c': '#include "sched.h"\n',
  'drivers/gpu/drm/amd/display/dc/inc/core_status.h': 'enum dc_status { DC_OK };\n',
  'drivers/gpu/drm/amd/display/dc/core/dc.c': '#include "inc/core_status.h"\n',
  'drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c': 'int amdgpu_fn(void) { return 0; }\n',
};
/** What each object's .cmd file says it depends on, and its module (none: vmlinux). */
const BUILT: Record<string, { deps: string[]; module?: string }> = {
  'kernel/sched/build_policy.o': { deps: ['kernel/sched/sched.h', 'kernel/sched/rt.c'] },
  'kernel/sched/core.o': { deps: ['kernel/sched/sched.h'] },
  'kernel/sched/rt.o': { deps: [] },
  'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o': {
    deps: ['drivers/gpu/drm/amd/amdgpu/../display/dc/core/../inc/core_status.h'],
    module: 'amdgpu',
  },
};
/** The compile units of the running vmlinux. */
const VMLINUX = ['kernel/sched/build_policy.c', 'kernel/sched/core.c'];

let tmp: DirectoryResult;
beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterEach(async () => tmp.cleanup());

/** A make that builds each target of BUILT but FAILING, as make -k does; ASKED gets each call's targets. */
function fakeMake(treeDir: string, failing: readonly string[], asked: string[][]): Runner {
  return {
    kind: 'host',
    description: 'fake make',
    exec(_file, args) {
      const objects = args.filter((a) => a.endsWith('.o'));
      asked.push(objects);
      const failed = objects.filter((o) => failing.includes(o) || !BUILT[o]);
      for (const object of objects.filter((o) => !failed.includes(o))) {
        const { deps, module } = BUILT[object]!;
        const name = module ?? basename(object, '.o');
        mkdirSync(dirname(join(treeDir, object)), { recursive: true });
        writeFileSync(join(treeDir, object), '');
        writeFileSync(
          join(treeDir, cmdFileOf(object)),
          kbuildRecord(
            'savedcmd',
            object,
            `gcc -nostdinc ${module ? '-DMODULE ' : ''}-DKBUILD_BASENAME='"${basename(object, '.o')}"' -DKBUILD_MODNAME='"${name}"' -c -o ${object} ${object.replace(/\.o$/, '.c')}`,
            object.replace(/\.o$/, '.c'),
            deps,
          ),
        );
      }
      const errors = failed.map((o) => `${o.replace(/\.o$/, '.c')}:1:10: fatal error: inc/core_status.h`).join('\n');
      return execa('sh', ['-c', `printf '%s\\n' "$1"; exit ${failed.length > 0 ? 2 : 0}`, 'sh', errors], {
        all: true,
        reject: false,
        buffer: false,
      }) as unknown as ReturnType<Runner['exec']>;
    },
  };
}

/** The tree and kernel; MODULE_UNITS: the modules' compile units when the kernel's debug modules were read. */
async function setUp(
  failing: readonly string[],
  moduleUnits?: Record<string, string[]>,
): Promise<{ tree: WorkTree; target: TargetKernel; asked: string[][] }> {
  const root = tmp.path;
  const treeDir = join(root, 'tree');
  for (const [path, text] of Object.entries(SOURCES)) {
    await mkdir(dirname(join(treeDir, path)), { recursive: true });
    await writeFile(join(treeDir, path), text);
  }
  const build = join(root, 'kernel-build');
  for (const source of VMLINUX) {
    await mkdir(join(build, dirname(source)), { recursive: true });
    await writeFile(join(build, source), `int ${basename(source, '.c')}_fn(void) { return 1; }\n`);
    await execa('gcc', ['-g', '-c', source, '-o', source.replace(/\.c$/, '.o')], { cwd: build });
  }
  await execa('ld', ['-r', '-o', 'vmlinux', ...VMLINUX.map((s) => s.replace(/\.c$/, '.o'))], { cwd: build });
  const modulesDir = join(root, 'lib/modules/6.1.0-test');
  await mkdir(join(modulesDir, 'kernel/drivers/gpu/drm/amd/amdgpu'), { recursive: true });
  await writeFile(join(modulesDir, 'kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko'), '');
  const entry = join(root, 'entry');
  await mkdir(entry, { recursive: true });
  const asked: string[][] = [];
  const tree: WorkTree = {
    key: 'test',
    entry,
    dir: treeDir,
    caches: entry,
    kcflags: '',
    runner: fakeMake(treeDir, failing, asked),
    vars: {},
    assumeOld: [],
    locate: () => Promise.reject(new Error('unused')),
  };
  const unitsFile = join(root, 'module-units.json');
  if (moduleUnits)
    await writeModuleUnits(unitsFile, { version: MODULE_UNITS_VERSION, modules: moduleUnits, withoutUnits: [] });
  const target: TargetKernel = {
    source: { kind: 'dir', dir: treeDir },
    config: '',
    vmlinux: join(build, 'vmlinux'),
    ...(moduleUnits ? { moduleUnits: unitsFile } : {}),
    symvers: '',
    modulesDir,
    release: '6.1.0-test',
    build: { kind: 'prepared', cc: 'gcc', kernelRelease: '6.1.0-test' },
  };
  return { tree, target, asked };
}

const AMDGPU = {
  amdgpu: ['drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c', 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c'],
};

async function locate(setup: { tree: WorkTree; target: TargetKernel }, changed: string[], log: string[] = []) {
  const located = await locateInPreparedTree({ ...setup, changed, log: (m) => log.push(m), jobs: 1 });
  return { ...located, objects: located.objects.map((o) => `${o.path} ${o.source} ${o.target}`) };
}

describe('objects as kbuild builds them, in a prepared tree', () => {
  it('patches the object that includes a changed C file, and builds nothing else', async () => {
    const setup = await setUp([], AMDGPU);
    const log: string[] = [];
    expect(await locate(setup, ['kernel/sched/rt.c'], log)).toEqual({
      objects: ['kernel/sched/build_policy.o kernel/sched/build_policy.c vmlinux'],
      unbuilt: [],
    });
    expect(setup.asked).toEqual([['kernel/sched/build_policy.o']]);
    expect(log).toContain('kernel/sched/rt.c is not compiled on its own: #included by kernel/sched/build_policy.c');
  });

  it("also tries the file's own object when only vmlinux's units are known, and goes past its failure", async () => {
    const setup = await setUp(['kernel/sched/rt.o']);
    expect(await locate(setup, ['kernel/sched/rt.c'])).toEqual({
      objects: ['kernel/sched/build_policy.o kernel/sched/build_policy.c vmlinux'],
      unbuilt: [],
    });
    expect(setup.asked.map((targets) => [...targets].sort())).toEqual([
      ['kernel/sched/build_policy.o', 'kernel/sched/rt.o'],
    ]);
  });

  it('keeps a header change on the objects whose record names it, through an included C file too', async () => {
    const setup = await setUp([], AMDGPU);
    expect((await locate(setup, ['kernel/sched/sched.h'])).objects).toEqual([
      'kernel/sched/build_policy.o kernel/sched/build_policy.c vmlinux',
      'kernel/sched/core.o kernel/sched/core.c vmlinux',
    ]);
  });

  it("builds a C file of another directory's Makefile through that Makefile's path, and finds its record there", async () => {
    const setup = await setUp(['drivers/gpu/drm/amd/display/dc/core/dc.o'], AMDGPU);
    const object = 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o';
    const log: string[] = [];
    expect(await locate(setup, ['drivers/gpu/drm/amd/display/dc/core/dc.c'], log)).toEqual({
      objects: [`${object} ${object.replace(/\.o$/, '.c')} amdgpu`],
      unbuilt: [],
    });
    expect(setup.asked).toEqual([[object]]);
    expect(log).toContain(`drivers/gpu/drm/amd/display/dc/core/dc.c is compiled as ${object}`);
    // A header it includes leads to the same object (its record names the header through amdgpu/..).
    expect((await locate(setup, ['drivers/gpu/drm/amd/display/dc/inc/core_status.h'])).objects).toEqual([
      `${object} ${object.replace(/\.o$/, '.c')} amdgpu`,
    ]);
  });

  it("fails as before when the modules' units are unknown: its own directory's object does not compile", async () => {
    const setup = await setUp(['drivers/gpu/drm/amd/display/dc/core/dc.o']);
    await expect(locate(setup, ['drivers/gpu/drm/amd/display/dc/core/dc.c'])).rejects.toThrow(
      /building the original objects failed[\s\S]*fatal error: inc\/core_status\.h/,
    );
  });

  it("reads the modules' units only when a changed file's own directory does not build it, then builds it there", async () => {
    const known = await setUp(['drivers/gpu/drm/amd/display/dc/core/dc.o'], AMDGPU);
    const setup = await setUp(['drivers/gpu/drm/amd/display/dc/core/dc.o']);
    let reads = 0;
    setup.target.readModuleUnits = () => {
      reads++;
      return Promise.resolve(known.target.moduleUnits);
    };
    // A file its own directory builds: the units are not read.
    expect((await locate(setup, ['kernel/sched/rt.c'])).objects).toEqual([
      'kernel/sched/build_policy.o kernel/sched/build_policy.c vmlinux',
    ]);
    expect(reads).toBe(0);
    const log: string[] = [];
    const object = 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o';
    expect(await locate(setup, ['drivers/gpu/drm/amd/display/dc/core/dc.c'], log)).toEqual({
      objects: [`${object} ${object.replace(/\.o$/, '.c')} amdgpu`],
      unbuilt: [],
    });
    expect(reads).toBe(1);
    expect(log).toContainEqual(
      expect.stringMatching(
        /^drivers\/gpu\/drm\/amd\/display\/dc\/core\/dc\.c: its own directory's Makefile does not build it; reading/,
      ),
    );
  });

  it('says that a C file nothing builds is not built, without compiling it', async () => {
    const setup = await setUp([], AMDGPU);
    await mkdir(join(setup.tree.dir, 'drivers/unbuilt'), { recursive: true });
    await writeFile(join(setup.tree.dir, 'drivers/unbuilt/x.c'), 'int x;\n');
    expect(await locate(setup, ['drivers/unbuilt/x.c'])).toEqual({ objects: [], unbuilt: ['drivers/unbuilt/x.c'] });
    expect(setup.asked).toEqual([]);
  });
});
