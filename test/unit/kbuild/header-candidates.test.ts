/**
 * A changed header's candidate objects in a prepared tree: one whose original fails to compile is
 * skipped only when the running kernel was not built from it. make is played by a fake Runner
 * that leaves what make -k leaves: the .o and kbuild's .cmd file of each object it could build,
 * none for the others, and a non-zero exit.
 */
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateInPreparedTree } from '../../../src/kbuild/prepared-objects.js';
import type { Runner } from '../../../src/toolchain/runner.js';
import type { WorkTree } from '../../../src/kbuild/work-tree.js';
import type { TargetKernel } from '../../../src/kernel/target-kernel.js';
import { UserError } from '../../../src/util/errors.js';
import { kbuildRecord } from '../../support/kbuild-record.js';

const HEADER = 'include/linux/thing.h';
/** Sources of the tree; all include HEADER. fs/m.c is the single-file module m. */
const SOURCES = ['fs/a.c', 'fs/b.c', 'fs/c.c', 'fs/m.c'];
/** What the running vmlinux was built from (its DWARF compile units). */
const VMLINUX_SOURCES = ['fs/a.c', 'fs/b.c'];

let tmp: DirectoryResult;
beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterEach(async () => tmp.cleanup());

/** A make that builds every target object except FAILING, as make -k does, then exits 2. */
function fakeMake(treeDir: string, failing: readonly string[]): Runner {
  return {
    kind: 'host',
    description: 'fake make',
    exec(_file, args) {
      const objects = args.filter((a) => a.endsWith('.o'));
      for (const object of objects.filter((o) => !failing.includes(o))) {
        const name = basename(object, '.o');
        const module = object === 'fs/m.o';
        writeFileSync(join(treeDir, object), '');
        writeFileSync(
          join(treeDir, dirname(object), `.${name}.o.cmd`),
          kbuildRecord(
            'savedcmd',
            object,
            `gcc -nostdinc ${module ? '-DMODULE ' : ''}-DKBUILD_BASENAME='"${name}"' -DKBUILD_MODNAME='"${name}"' -c -o ${object} ${object.replace(/\.o$/, '.c')}`,
            object.replace(/\.o$/, '.c'),
            [HEADER],
          ),
        );
      }
      const errors = failing.map((o) => `${o.replace(/\.o$/, '.c')}:1:1: error: something`).join('\n');
      return execa('sh', ['-c', `printf '%s\\n' "$1"; exit ${failing.length > 0 ? 2 : 0}`, 'sh', errors], {
        all: true,
        reject: false,
        buffer: false,
      }) as unknown as ReturnType<Runner['exec']>;
    },
  };
}

async function setUp(failing: readonly string[]): Promise<{ tree: WorkTree; target: TargetKernel }> {
  const root = tmp.path;
  const treeDir = join(root, 'tree');
  await mkdir(join(treeDir, 'include/linux'), { recursive: true });
  await mkdir(join(treeDir, 'fs'), { recursive: true });
  await writeFile(join(treeDir, HEADER), 'int thing(void);\n');
  for (const source of SOURCES)
    await writeFile(join(treeDir, source), '#include <linux/thing.h>\nint f(void) { return 0; }\n');
  // A vmlinux with the compile units the running kernel has.
  const build = join(root, 'kernel-build');
  await mkdir(join(build, 'fs'), { recursive: true });
  for (const source of VMLINUX_SOURCES) {
    await writeFile(join(build, source), `int ${basename(source, '.c')}_fn(void) { return 1; }\n`);
    await execa('gcc', ['-g', '-c', source, '-o', source.replace(/\.c$/, '.o')], { cwd: build });
  }
  await execa('ld', ['-r', '-o', 'vmlinux', ...VMLINUX_SOURCES.map((s) => s.replace(/\.c$/, '.o'))], { cwd: build });
  const modulesDir = join(root, 'lib/modules/6.1.0-test');
  await mkdir(join(modulesDir, 'kernel/fs'), { recursive: true });
  await writeFile(join(modulesDir, 'kernel/fs/m.ko'), '');
  const entry = join(root, 'entry');
  await mkdir(entry, { recursive: true });
  const tree: WorkTree = {
    key: 'test',
    entry,
    dir: treeDir,
    caches: entry,
    kcflags: '',
    runner: fakeMake(treeDir, failing),
    vars: {},
    assumeOld: [],
    locate: () => Promise.reject(new Error('unused')),
  };
  const target: TargetKernel = {
    source: { kind: 'dir', dir: treeDir },
    config: '',
    vmlinux: join(build, 'vmlinux'),
    symvers: '',
    modulesDir,
    release: '6.1.0-test',
    build: { kind: 'prepared', cc: 'gcc', kernelRelease: '6.1.0-test' },
  };
  return { tree, target };
}

const locate = (tree: WorkTree, target: TargetKernel) =>
  locateInPreparedTree({ tree, target, changed: [HEADER], log: () => {}, jobs: 1 });

describe('header candidates of a prepared tree', () => {
  it('takes every candidate the kernel was built from when all compile', async () => {
    const { tree, target } = await setUp([]);
    const located = await locate(tree, target);
    expect(located.objects.map((o) => `${o.path}:${o.target}`)).toEqual([
      'fs/a.o:vmlinux',
      'fs/b.o:vmlinux',
      'fs/m.o:m',
    ]);
  });

  it('still skips a candidate the kernel was not built from whose original fails to compile', async () => {
    const { tree, target } = await setUp(['fs/c.o']);
    const located = await locate(tree, target);
    expect(located.objects.map((o) => o.path)).toEqual(['fs/a.o', 'fs/b.o', 'fs/m.o']);
  });

  it('fails, naming the object and the header, when an object of vmlinux fails to compile', async () => {
    const { tree, target } = await setUp(['fs/b.o', 'fs/c.o']);
    const error = await locate(tree, target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toContain('fs/b.o');
    expect(message).toContain(HEADER);
    expect(message).toContain('vmlinux');
    expect(message).not.toContain('fs/c.o');
  });

  it('fails when the original of a single-file module of the kernel fails to compile', async () => {
    const { tree, target } = await setUp(['fs/m.o']);
    const error = await locate(tree, target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/fs\/m\.o \(part of m; may include include\/linux\/thing\.h\)/);
  });
});
