/**
 * Kernel module files as `.ko` or `.ko.xz` (Debian 13): names, the plain ELF of a compressed
 * module in memory and as a cached file, batches of many, and damaged files.
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modinfoValue } from '../../../src/kernel/modinfo.js';
import {
  isCompressedModule,
  isModuleFile,
  moduleContents,
  moduleElfPath,
  moduleElves,
  plainModulePath,
  readModuleElf,
  readModuleElfSync,
  readModuleFile,
} from '../../../src/kernel/module-file.js';
import { moduleNameOf } from '../../../src/kernel/module-name.js';
import { UserError } from '../../../src/util/errors.js';
import { buildModules, compressedCopy, VERMAGIC } from './module-sets.js';

let tmp: DirectoryResult;
let plain: string;
let xz: string;
const ko = (name: string) => join(plain, name);
const koXz = (name: string) => join(xz, `${name}.xz`);
const VFAT = 'kernel/fs/fat/vfat.ko';
const FAT = 'kernel/fs/fat/fat.ko';
const ROMAN = 'kernel/fs/nls/mac-roman.ko';

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'tsbp-module-file-' });
  plain = await buildModules(join(tmp.path, 'plain'));
  xz = await compressedCopy(plain, join(tmp.path, 'xz'));
});
afterAll(async () => tmp?.cleanup());

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('module file names', () => {
  it('knows .ko and .ko.xz, and the plain name and kernel name of each', () => {
    expect(isModuleFile('kernel/fs/nls/mac-roman.ko')).toBe(true);
    expect(isModuleFile('kernel/fs/nls/mac-roman.ko.xz')).toBe(true);
    expect(isModuleFile('fs/fat/inode.o')).toBe(false);
    expect(isModuleFile('modules.order')).toBe(false);
    expect(isCompressedModule('/m/foo-bar.ko.xz')).toBe(true);
    expect(isCompressedModule('/m/foo-bar.ko')).toBe(false);
    expect(plainModulePath('/m/kernel/foo-bar.ko.xz')).toBe('/m/kernel/foo-bar.ko');
    expect(plainModulePath('/m/kernel/foo-bar.ko')).toBe('/m/kernel/foo-bar.ko');
    expect(plainModulePath('/m/vmlinux')).toBe('/m/vmlinux');
    expect(moduleNameOf('/m/kernel/foo-bar.ko.xz')).toBe('foo_bar');
    expect(moduleNameOf('foo-bar.ko')).toBe('foo_bar');
  });
});

describe('reading a compressed module', () => {
  it('gives the bytes and the ELF of the .ko it was made from, named by the .ko.xz', async () => {
    expect((await readModuleFile(koXz(ROMAN))).equals(await readFile(ko(ROMAN)))).toBe(true);
    expect((await readModuleFile(ko(ROMAN))).equals(await readFile(ko(ROMAN)))).toBe(true);
    for (const elf of [await readModuleElf(koXz(VFAT)), readModuleElfSync(koXz(VFAT))]) {
      expect(elf.path).toBe(koXz(VFAT));
      expect(modinfoValue(elf, 'depends')).toBe('fat');
      expect(modinfoValue(elf, 'vermagic')).toBe(VERMAGIC);
      expect(elf.symbols.some((s) => s.name === 'fat_fill_super_demo' && s.isUndefined)).toBe(true);
    }
    expect(modinfoValue(await readModuleElf(ko(VFAT)), 'depends')).toBe('fat');
  });

  it('reads many modules, plain and compressed mixed, in order', async () => {
    const files = [koXz(VFAT), ko(FAT), koXz(ROMAN), koXz(FAT), ko(VFAT)];
    const contents = [];
    for await (const entry of moduleContents(files)) contents.push(entry);
    expect(contents.map((c) => c.file)).toEqual(files);
    for (const { file, bytes } of contents)
      expect(bytes.equals(await readFile(plainModulePath(file).replace(xz, plain))), file).toBe(true);
    const names = [];
    for await (const { file, elf } of moduleElves(files)) names.push([file, modinfoValue(elf, 'depends')]);
    expect(names).toEqual([
      [koXz(VFAT), 'fat'],
      [ko(FAT), ''],
      [koXz(ROMAN), ''],
      [koXz(FAT), ''],
      [ko(VFAT), 'fat'],
    ]);
  });

  it('reads hundreds of files, more than one xz process takes, each to its own bytes', async () => {
    const many = join(tmp.path, 'many');
    await mkdir(many);
    const names = Array.from({ length: 300 }, (_, i) => join(many, `m${i}.ko`));
    for (const [i, name] of names.entries()) await writeFile(name, `module ${i}\n`.repeat(i + 1));
    await execa('xz', ['--check=crc32', '--', ...names]);
    const seen: string[] = [];
    for await (const { file, bytes } of moduleContents(names.map((name) => `${name}.xz`))) {
      const i = seen.length;
      expect(file).toBe(`${names[i]}.xz`);
      expect(bytes.toString()).toBe(`module ${i}\n`.repeat(i + 1));
      seen.push(file);
    }
    expect(seen).toHaveLength(300);
  });
});

describe('a damaged or missing .ko.xz', () => {
  it('is a UserError naming the file, alone or among good ones', async () => {
    const damaged = join(tmp.path, 'damaged');
    await mkdir(damaged);
    const garbage = join(damaged, 'garbage.ko.xz');
    await writeFile(garbage, 'not xz data at all');
    const truncated = join(damaged, 'truncated.ko.xz');
    const whole = await readFile(koXz(FAT));
    await writeFile(truncated, whole.subarray(0, whole.length - 40));
    const missing = join(damaged, 'missing.ko.xz');
    for (const bad of [garbage, truncated, missing]) {
      for (const error of [
        await rejection(readModuleElf(bad)),
        await rejection(readModuleFile(bad)),
        await rejection(moduleElfPath(bad, join(tmp.path, 'cache'))),
        await rejection(
          (async () => {
            for await (const entry of moduleContents([koXz(FAT), bad, koXz(VFAT)])) void entry;
          })(),
        ),
      ]) {
        expect(error, bad).toBeInstanceOf(UserError);
        expect((error as Error).message, bad).toContain(bad);
        expect((error as Error).message, bad).not.toContain(koXz(VFAT));
      }
      expect(() => readModuleElfSync(bad)).toThrow(UserError);
      expect(() => readModuleElfSync(bad)).toThrow(bad);
    }
    expect(await stat(join(tmp.path, 'cache')).catch(() => undefined)).toBeUndefined();
  });

  it('says xz is missing when it cannot be run', async () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = join(tmp.path, 'no-such-bin');
    try {
      const error = await rejection(readModuleFile(koXz(FAT)));
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toContain(koXz(FAT));
      expect((error as UserError).hint).toContain('xz-utils');
    } finally {
      process.env['PATH'] = saved;
    }
  });
});

describe('moduleElfPath', () => {
  it('is a plain .ko itself, and for a .ko.xz a cached copy named <module>.ko', async () => {
    const cache = join(tmp.path, 'elf-cache');
    expect(await moduleElfPath(ko(ROMAN), cache)).toBe(ko(ROMAN));
    const copy = await moduleElfPath(koXz(ROMAN), cache);
    expect(copy.startsWith(cache + '/')).toBe(true);
    expect(basename(copy)).toBe('mac-roman.ko');
    expect(moduleNameOf(copy)).toBe('mac_roman');
    expect((await readFile(copy)).equals(await readFile(ko(ROMAN)))).toBe(true);
    const first = await stat(copy);
    expect(await moduleElfPath(koXz(ROMAN), cache)).toBe(copy);
    expect((await stat(copy)).mtimeMs).toBe(first.mtimeMs);
  });

  it('never gives the copy of an older content of the same file', async () => {
    const cache = join(tmp.path, 'stale-cache');
    const changing = join(tmp.path, 'changing', 'kernel', 'fs', 'fat', 'fat.ko.xz');
    await mkdir(dirname(changing), { recursive: true });
    await copyFile(koXz(FAT), changing);
    const before = await moduleElfPath(changing, cache);
    expect((await readFile(before)).equals(await readFile(ko(FAT)))).toBe(true);
    // The same name and size class, another content (a rebuilt package with the same release).
    await rm(changing);
    await copyFile(koXz(VFAT), changing);
    const after = await moduleElfPath(changing, cache);
    expect(after).not.toBe(before);
    expect(basename(after)).toBe('fat.ko');
    expect((await readFile(after)).equals(await readFile(ko(VFAT)))).toBe(true);
    expect((await readFile(before)).equals(await readFile(ko(FAT)))).toBe(true);
  });
});
