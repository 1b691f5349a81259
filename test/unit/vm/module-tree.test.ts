/**
 * The guest of a kernel that ships `.ko.xz` (Debian 13) gets its modules decompressed and named
 * `.ko`: in the modprobe tree depmod indexes, in /modules, and in the default script's insmod
 * lines. Run on modules compiled here, and also on real Debian 12 modules when the cache has
 * that kernel.
 */
import { join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestModules } from '../../../src/vm/boot-target.js';
import { defaultScript } from '../../../src/vm/default-script.js';
import { buildInitramfs } from '../../../src/vm/initramfs.js';
import { guestModuleTree } from '../../../src/vm/module-tree.js';
import {
  buildModules,
  cachedDebianModulesDir,
  compressedCopy,
  copyDebianModules,
  type BuiltModule,
} from '../kernel/module-sets.js';

const RELEASE = '6.12.0-test';
let tmp: DirectoryResult;
const savedCache = process.env['TSBUILD_PATCH_CACHE'];
const sets = new Map<string, { plain: string; xz: string; given: string }>();
const debian = await cachedDebianModulesDir();
const SET_NAMES = ['built', ...(debian ? ['debian'] : [])];
/** A livepatch of vfat, outside the modules directory. */
const LIVEPATCH: BuiltModule = {
  path: 'livepatch-vfat-fix.ko',
  modinfo: ['livepatch=Y', 'livepatch_objects=vfat', 'depends='],
};

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'tsbp-guest-xz-' });
  process.env['TSBUILD_PATCH_CACHE'] = join(tmp.path, 'cache');
  const built = await buildModules(join(tmp.path, 'built', RELEASE));
  sets.set('built', {
    plain: built,
    xz: await compressedCopy(built, join(tmp.path, 'built-xz', RELEASE)),
    given: 'kernel/fs/fat/vfat.ko',
  });
  if (debian) {
    const plain = await copyDebianModules(debian, join(tmp.path, 'debian', RELEASE));
    sets.set('debian', {
      plain,
      xz: await compressedCopy(plain, join(tmp.path, 'debian-xz', RELEASE)),
      given: 'kernel/fs/fat/vfat.ko',
    });
  }
  await buildModules(join(tmp.path, 'out'), [LIVEPATCH]);
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env['TSBUILD_PATCH_CACHE'];
  else process.env['TSBUILD_PATCH_CACHE'] = savedCache;
  await tmp?.cleanup();
});

const livepatch = () => join(tmp.path, 'out', LIVEPATCH.path);
const modulesDep = (tree: Record<string, Buffer>) => tree[`lib/modules/${RELEASE}/modules.dep`]?.toString() ?? '';

describe.each(SET_NAMES)('the guest of a .ko.xz kernel (%s modules)', (set) => {
  it("gets the kernel's modules decompressed, as .ko, indexed by depmod as from the .ko directory", async () => {
    const { plain, xz, given } = sets.get(set)!;
    const fromXz = await guestModuleTree(xz, [join(xz, `${given}.xz`), livepatch()]);
    const fromPlain = await guestModuleTree(plain, [join(plain, given), livepatch()]);
    const modules = Object.keys(fromXz).filter((path) => /\.ko(\.xz)?$/.test(path));
    expect(modules.length).toBeGreaterThan(1);
    expect(modules.every((path) => path.endsWith('.ko'))).toBe(true);
    expect(Object.keys(fromXz).sort()).toEqual(Object.keys(fromPlain).sort());
    for (const path of modules) {
      const original = join(plain, relative(`lib/modules/${RELEASE}`, path));
      expect(fromXz[path]!.equals(await readFile(original)), path).toBe(true);
    }
    expect(modulesDep(fromXz)).toContain('kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n');
    expect(modulesDep(fromXz)).not.toContain('.xz');
    expect(modulesDep(fromXz)).toBe(modulesDep(fromPlain));
  });

  it('loads the decompressed modules from /modules by their .ko names', async () => {
    const { xz } = sets.get(set)!;
    const modules = await guestModules([livepatch()], xz);
    expect(modules.map((path) => relative(xz, path))).toEqual([
      'kernel/fs/fat/fat.ko.xz',
      'kernel/fs/fat/vfat.ko.xz',
      relative(xz, livepatch()),
    ]);
    const script = defaultScript(modules);
    expect(script).toContain('insmod ./fat.ko\n');
    expect(script).toContain('insmod ./vfat.ko\n');
    expect(script).not.toContain('.xz');
    const initramfs = gunzipSync(await buildInitramfs({ script, modules }));
    const listing = await execa('cpio', ['-t', '--quiet'], { input: initramfs });
    const inModules = listing.stdout.split('\n').filter((path) => path.startsWith('modules/'));
    expect(inModules.sort()).toEqual(['modules/fat.ko', 'modules/livepatch-vfat-fix.ko', 'modules/vfat.ko']);
    const vfat = await execa('cpio', ['-i', '--quiet', '--to-stdout', 'modules/vfat.ko'], {
      input: initramfs,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    const plainVfat = await readFile(join(sets.get(set)!.plain, 'kernel/fs/fat/vfat.ko'));
    expect(Buffer.from(vfat.stdout).equals(plainVfat)).toBe(true);
  });
});

describe("the guest's module tree of a kernel with none of the modules it offers", () => {
  it('still has the tables depmod makes (the test kernel: its modules directory holds only samples)', async () => {
    const modulesDir = join(tmp.path, 'bare', RELEASE);
    await buildModules(modulesDir, [{ path: 'samples/livepatch/livepatch-sample.ko', modinfo: ['livepatch=Y'] }]);
    const files = await guestModuleTree(modulesDir, [join(tmp.path, 'out', LIVEPATCH.path)]);
    expect(Object.keys(files)).toContain(`lib/modules/${RELEASE}/modules.dep`);
    expect(Object.keys(files).filter((f) => f.endsWith('.ko'))).toEqual([]);
  });
});
