/**
 * A modules directory of `.ko.xz` files (Debian 13) reads as the same directory of `.ko` files
 * does: the same modules, dependencies and aliases, and ELF readers get the plain module. Run on
 * modules compiled here, and also on real Debian 12 modules when the cache has that kernel.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget, targetNameFor } from '../../../src/diff/parent-object.js';
import { KernelModules } from '../../../src/kernel/kernel-modules.js';
import { moduleNameOf } from '../../../src/kernel/module-name.js';
import { runningVermagic } from '../../../src/kernel/vermagic.js';
import { parentsIn } from '../../../src/pipeline/diff-stage.js';
import type { ObjectPair } from '../../../src/kbuild/patched-build.js';
import { UserError } from '../../../src/util/errors.js';
import {
  BUILT_MODULES,
  buildModules,
  cachedDebianModulesDir,
  compressedCopy,
  copyDebianModules,
  DEBIAN_MODULES,
  VERMAGIC,
} from './module-sets.js';

let tmp: DirectoryResult;
const savedCache = process.env['TSBUILD_PATCH_CACHE'];
/** Each set: its plain modules directory and the compressed copy. */
const sets = new Map<string, { plain: string; xz: string; modules: readonly string[] }>();
// Found before the cache root is pointed at the test's directory.
const debian = await cachedDebianModulesDir();
const SET_NAMES = ['built', ...(debian ? ['debian'] : [])];

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'tsbp-modules-xz-' });
  process.env['TSBUILD_PATCH_CACHE'] = join(tmp.path, 'cache');
  const built = await buildModules(join(tmp.path, 'built', '6.12.0-test'));
  const modules = BUILT_MODULES.map((m) => m.path);
  sets.set('built', {
    plain: built,
    xz: await compressedCopy(built, join(tmp.path, 'built-xz', '6.12.0-test')),
    modules,
  });
  if (debian) {
    const plain = await copyDebianModules(debian, join(tmp.path, 'debian', basename(debian)));
    const xz = await compressedCopy(plain, join(tmp.path, 'debian-xz', basename(debian)));
    sets.set('debian', { plain, xz, modules: DEBIAN_MODULES });
  }
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env['TSBUILD_PATCH_CACHE'];
  else process.env['TSBUILD_PATCH_CACHE'] = savedCache;
  await tmp?.cleanup();
});

describe.each(SET_NAMES)('a .ko.xz modules directory (%s modules)', (set) => {
  it('has the modules of the .ko directory, each at its .ko.xz', async () => {
    const { plain, xz, modules } = sets.get(set)!;
    const [p, x] = [await KernelModules.read(plain), await KernelModules.read(xz)];
    for (const module of modules) {
      const name = moduleNameOf(module);
      expect(x.has(name), name).toBe(true);
      expect(x.has(name.replace(/_/g, '-')), name).toBe(true);
      expect(x.path(name)).toBe(join(xz, `${module}.xz`));
      expect(p.path(name)).toBe(join(plain, module));
    }
    const rel = (root: string, paths: string[]) => paths.map((path) => relative(root, path).replace(/\.xz$/, ''));
    expect(rel(xz, x.under('kernel/fs')).sort()).toEqual(rel(plain, p.under('kernel/fs')).sort());
  });

  it('gives the same dependencies in the same order, as .ko.xz files', async () => {
    const { plain, xz, modules } = sets.get(set)!;
    const [p, x] = [await KernelModules.read(plain), await KernelModules.read(xz)];
    const names = modules.map(moduleNameOf);
    const fromXz = await x.withDependencies(names);
    expect(fromXz.every((path) => path.startsWith(xz + '/') && path.endsWith('.ko.xz'))).toBe(true);
    expect(fromXz.map((path) => relative(xz, path))).toEqual(
      (await p.withDependencies(names)).map((path) => `${relative(plain, path)}.xz`),
    );
  });

  it('gives ELF readers the plain module, named <module>.ko, and the vermagic', async () => {
    const { plain, xz, modules } = sets.get(set)!;
    const x = await KernelModules.read(xz);
    for (const module of modules) {
      const path = await x.elfPath(moduleNameOf(module));
      expect(basename(path)).toBe(basename(module));
      expect(targetNameFor(path)).toEqual({ objectName: moduleNameOf(module), isModule: true });
      expect((await readFile(path)).equals(await readFile(join(plain, module)))).toBe(true);
    }
    expect(await runningVermagic(xz)).toBe(await runningVermagic(plain));
  });
});

describe('a .ko.xz modules directory (built modules)', () => {
  it('loads a soft dependency first, by alias, preferring crypto/', async () => {
    const x = await KernelModules.read(sets.get('built')!.xz);
    expect((await x.withDependencies(['demo-fs'])).map((path) => basename(path))).toEqual([
      'crc32c_generic.ko.xz',
      'libcrc32c.ko.xz',
      'fat.ko.xz',
      'demo-fs.ko.xz',
    ]);
  });

  it('names .ko.xz in the error for a module it does not have', async () => {
    const { xz } = sets.get('built')!;
    const x = await KernelModules.read(xz);
    expect(() => x.path('no_such_module')).toThrow(UserError);
    expect(() => x.path('no_such_module')).toThrow(/no_such_module\.ko \(or \.ko\.xz\)/);
    expect(await runningVermagic(xz)).toBe(VERMAGIC);
  });

  it('is the parent of a changed object of a module: a plain .ko in the cache, read for its symbols', async () => {
    const { xz } = sets.get('built')!;
    const parentOf = parentsIn({ vmlinux: '/no/vmlinux', modulesDir: xz });
    const pair = { object: { target: 'vfat' } } as unknown as ObjectPair;
    const parent = await parentOf(pair);
    expect(parent.startsWith(join(tmp.path, 'cache') + '/')).toBe(true);
    expect(basename(parent)).toBe('vfat.ko');
    expect((await stat(parent)).isFile()).toBe(true);
    const target = loadTarget(parent);
    expect(target.isModule).toBe(true);
    expect(target.objectName).toBe('vfat');
    expect(target.defines('calls_others')).toBe(true);
    expect(target.defines('fat_fill_super_demo')).toBe(false);
    // A .ko.xz given as the parent itself (diff --parent) reads the same.
    const direct = loadTarget(join(xz, 'kernel/fs/fat/fat.ko.xz'));
    expect(direct).toMatchObject({ objectName: 'fat', isModule: true });
    expect(direct.defines('fat_fill_super_demo')).toBe(true);
  });
});
