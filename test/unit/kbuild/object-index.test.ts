import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import {
  buildObjectIndex,
  objectDir,
  objectsAffectedBy,
  readObjectIndex,
  type ObjectIndex,
} from '../../../src/kbuild/object-index.js';
import { UserError } from '../../../src/util/errors.js';

/** A kbuild `.foo.o.cmd` file as fixdep writes it (6.1): command, source, deps, rules. */
function cmdFile(object: string, source: string, deps: string[]): string {
  const depLines = deps.map((d) => (d.startsWith('$(wildcard') ? `    ${d} \\` : `  ${d} \\`));
  return [
    `cmd_${object} := gcc -Wp,-MMD,${dirname(object)}/.${object.split('/').pop()}.d -nostdinc -I./include -c -o ${object} ${source}`,
    '',
    `source_${object} := ${source}`,
    '',
    `deps_${object} := \\`,
    ...depLines,
    '',
    `${object}: $(deps_${object})`,
    '',
    `$(deps_${object}):`,
    '',
    `${object}: $(wildcard ./tools/objtool/objtool)`,
    '',
  ].join('\n');
}

const COMMON = [
  'include/linux/compiler-version.h',
  '$(wildcard include/config/CC_VERSION_TEXT)',
  'include/linux/kconfig.h',
  '$(wildcard include/config/CPU_BIG_ENDIAN)',
  'include/linux/compiler_types.h',
];

let tree: DirectoryResult;
let index: ObjectIndex;

async function put(path: string, text: string) {
  await mkdir(dirname(join(tree.path, path)), { recursive: true });
  await writeFile(join(tree.path, path), text);
}

beforeAll(async () => {
  tree = await dir({ unsafeCleanup: true, prefix: 'object-index-' });
  // Built into vmlinux.
  await put(
    'fs/proc/.cmdline.o.cmd',
    cmdFile('fs/proc/cmdline.o', 'fs/proc/cmdline.c', [
      ...COMMON,
      'include/linux/fs.h',
      '$(wildcard include/config/PROC_FS)',
      'fs/proc/internal.h',
      '/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h',
      'include/generated/autoconf.h',
    ]),
  );
  await put(
    'fs/proc/.meminfo.o.cmd',
    cmdFile('fs/proc/meminfo.o', 'fs/proc/meminfo.c', [...COMMON, 'fs/proc/internal.h', 'include/linux/mm.h']),
  );
  await put('kernel/.fork.o.cmd', cmdFile('kernel/fork.o', 'kernel/fork.c', [...COMMON, 'include/linux/mm.h']));
  // An assembly object: not a C object, never indexed.
  await put(
    'arch/x86/entry/.entry_64.o.cmd',
    cmdFile('arch/x86/entry/entry_64.o', 'arch/x86/entry/entry_64.S', [...COMMON, 'include/linux/linkage.h']),
  );
  // A module of two objects, its link, and modpost's generated .mod.c.
  await put(
    'drivers/demo/.demo-core.o.cmd',
    cmdFile('drivers/demo/demo-core.o', 'drivers/demo/demo-core.c', [
      ...COMMON,
      'drivers/demo/demo.h',
      'include/linux/module.h',
    ]),
  );
  await put(
    'drivers/demo/.demo-util.o.cmd',
    cmdFile('drivers/demo/demo-util.o', 'drivers/demo/demo-util.c', [...COMMON, 'drivers/demo/demo.h']),
  );
  await put(
    'drivers/demo/.demo-drv.o.cmd',
    'cmd_drivers/demo/demo-drv.o := ld -m elf_x86_64 -z noexecstack -r -o drivers/demo/demo-drv.o @drivers/demo/demo-drv.mod\n',
  );
  await put('drivers/demo/demo-drv.mod', 'drivers/demo/demo-core.o\ndrivers/demo/demo-util.o\n');
  await put(
    'drivers/demo/.demo-drv.mod.o.cmd',
    cmdFile('drivers/demo/demo-drv.mod.o', 'drivers/demo/demo-drv.mod.c', [
      ...COMMON,
      'include/linux/module.h',
      'include/linux/mm.h',
    ]),
  );
  // A single-object module.
  await put(
    'samples/livepatch/.livepatch-sample.o.cmd',
    cmdFile('samples/livepatch/livepatch-sample.o', 'samples/livepatch/livepatch-sample.c', [
      ...COMMON,
      'include/linux/module.h',
      'include/linux/livepatch.h',
    ]),
  );
  await put('samples/livepatch/livepatch-sample.mod', 'samples/livepatch/livepatch-sample.o\n');
  // Not kernel code a livepatch can change, although built from C: host programs, the vDSO.
  await put(
    'scripts/mod/.empty.o.cmd',
    cmdFile('scripts/mod/empty.o', 'scripts/mod/empty.c', [...COMMON, 'include/linux/module.h']),
  );
  await put(
    'arch/x86/entry/vdso/.vclock_gettime.o.cmd',
    cmdFile('arch/x86/entry/vdso/vclock_gettime.o', 'arch/x86/entry/vdso/vclock_gettime.c', COMMON),
  );
  // Ignored places.
  await put('.git/objects/.x.o.cmd', cmdFile('x.o', 'x.c', COMMON));
  await put('Documentation/.y.o.cmd', cmdFile('y.o', 'y.c', COMMON));

  await buildObjectIndex(tree.path, join(tree.path, 'object-index.json'));
  index = (await readObjectIndex(join(tree.path, 'object-index.json')))!;
});

describe('what the index leaves out', () => {
  it('has no host programs nor vDSO objects, even when they include patched headers', () => {
    const all = paths(index.objects);
    expect(all.some((p) => p.startsWith('scripts/') || p.includes('/vdso/'))).toBe(false);
    expect(
      paths(objectsAffectedBy(index, ['include/linux/module.h']).objects).some((p) => p.startsWith('scripts/')),
    ).toBe(false);
  });

  it('is read back only when written by this version of the code', async () => {
    const path = join(tree.path, 'old-index.json');
    await writeFile(path, JSON.stringify({ ...index, version: 1 }));
    expect(await readObjectIndex(path)).toBeUndefined();
    expect(await readObjectIndex(join(tree.path, 'absent.json'))).toBeUndefined();
  });
});
afterAll(async () => tree?.cleanup());

const paths = (objects: readonly { path: string }[]) => objects.map((o) => o.path).sort();

describe('buildObjectIndex', () => {
  it('indexes every object compiled from C, sorted by path, with its source and target', () => {
    expect(index.objects.map((o) => [o.path, o.source, o.target])).toEqual([
      ['drivers/demo/demo-core.o', 'drivers/demo/demo-core.c', 'demo_drv'],
      ['drivers/demo/demo-util.o', 'drivers/demo/demo-util.c', 'demo_drv'],
      ['fs/proc/cmdline.o', 'fs/proc/cmdline.c', 'vmlinux'],
      ['fs/proc/meminfo.o', 'fs/proc/meminfo.c', 'vmlinux'],
      ['kernel/fork.o', 'kernel/fork.c', 'vmlinux'],
      ['samples/livepatch/livepatch-sample.o', 'samples/livepatch/livepatch-sample.c', 'livepatch_sample'],
    ]);
  });

  it('records the headers of the deps list, without wildcards or absolute (compiler) paths', () => {
    const cmdline = index.objects.find((o) => o.path === 'fs/proc/cmdline.o');
    expect(cmdline?.deps.map((id) => index.headers[id])).toEqual([
      'include/linux/compiler-version.h',
      'include/linux/kconfig.h',
      'include/linux/compiler_types.h',
      'include/linux/fs.h',
      'fs/proc/internal.h',
      'include/generated/autoconf.h',
    ]);
    expect(index.headers.some((h) => h.includes('wildcard') || h.startsWith('/') || h.includes('config/'))).toBe(false);
    expect(new Set(index.headers).size).toBe(index.headers.length);
  });

  it('stops reading deps at the end of the list (the rules after it are not headers)', () => {
    expect(index.headers.some((h) => h.includes(':') || h.includes('$('))).toBe(false);
  });
});

describe('objectsAffectedBy', () => {
  it('maps a C file to its object', () => {
    const { objects, unbuilt } = objectsAffectedBy(index, ['fs/proc/cmdline.c']);
    expect(paths(objects)).toEqual(['fs/proc/cmdline.o']);
    expect(unbuilt).toEqual([]);
    expect(objectDir(objects[0]!)).toBe('fs/proc');
  });

  it('maps a header to every object that includes it, across vmlinux and modules', () => {
    expect(paths(objectsAffectedBy(index, ['fs/proc/internal.h']).objects)).toEqual([
      'fs/proc/cmdline.o',
      'fs/proc/meminfo.o',
    ]);
    const mm = objectsAffectedBy(index, ['include/linux/mm.h']);
    expect(paths(mm.objects)).toEqual(['fs/proc/meminfo.o', 'kernel/fork.o']);
    const demo = objectsAffectedBy(index, ['drivers/demo/demo.h']).objects;
    expect(demo.map((o) => o.target)).toEqual(['demo_drv', 'demo_drv']);
  });

  it('does not rebuild modpost-generated .mod.c objects when a header they include changes', () => {
    const { objects } = objectsAffectedBy(index, ['include/linux/module.h']);
    expect(paths(objects)).toEqual(['drivers/demo/demo-core.o', 'samples/livepatch/livepatch-sample.o']);
  });

  it('counts each object once when several changed files lead to it', () => {
    const { objects } = objectsAffectedBy(index, ['fs/proc/meminfo.c', 'fs/proc/internal.h', 'include/linux/mm.h']);
    expect(paths(objects)).toEqual(['fs/proc/cmdline.o', 'fs/proc/meminfo.o', 'kernel/fork.o']);
  });

  it('lists C files and headers no built object uses as unbuilt', () => {
    const { objects, unbuilt } = objectsAffectedBy(index, [
      'drivers/unbuilt/foo.c',
      'include/linux/unused.h',
      'kernel/fork.c',
    ]);
    expect(paths(objects)).toEqual(['kernel/fork.o']);
    expect(unbuilt).toEqual(['drivers/unbuilt/foo.c', 'include/linux/unused.h']);
  });

  it('refuses any other file type with exit code 2, naming the file', () => {
    for (const file of ['Documentation/admin-guide/README.rst', 'arch/x86/entry/entry_64.S', 'scripts/checkpatch.pl']) {
      let caught: unknown;
      try {
        objectsAffectedBy(index, ['kernel/fork.c', file]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UserError);
      expect((caught as UserError).exitCode).toBe(2);
      expect((caught as UserError).message).toContain(file);
    }
  });
});
