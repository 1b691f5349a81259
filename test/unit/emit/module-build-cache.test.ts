import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import {
  keepModule,
  KEPT_MODULES,
  moduleLinkKey,
  takeKeptModule,
  type ModuleLinkInputs,
} from '../../../src/emit/module-build-cache.js';

describe('linked modules kept per tree', () => {
  let scratch: DirectoryResult;
  let inputs: ModuleLinkInputs;

  beforeEach(async () => {
    scratch = await dir({ unsafeCleanup: true });
    const tree = join(scratch.path, 'linux');
    const moduleDir = join(scratch.path, 'module');
    await mkdir(join(tree, 'include/generated'), { recursive: true });
    await mkdir(moduleDir);
    await writeFile(join(tree, '.config'), 'CONFIG_LIVEPATCH=y\n');
    await writeFile(join(tree, 'include/generated/autoconf.h'), '#define CONFIG_LIVEPATCH 1\n');
    await writeFile(join(tree, 'Module.symvers'), '0x0\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n');
    await writeFile(join(moduleDir, 'livepatch-module.c'), 'int x;\n');
    await writeFile(join(moduleDir, 'Kbuild'), 'obj-m := livepatch-a.o\n');
    await writeFile(join(scratch.path, 'fs__proc__cmdline.o'), 'object one');
    inputs = {
      tree,
      moduleDir,
      name: 'livepatch-a',
      objects: new Map([['fs__proc__cmdline.o', join(scratch.path, 'fs__proc__cmdline.o')]]),
      vars: { KCFLAGS: '-ffunction-sections' },
      runner: 'host',
    };
  });
  afterEach(() => scratch.cleanup());

  it('has the same key for the same inputs, and another when any input changes', async () => {
    const key = await moduleLinkKey(inputs);
    expect(await moduleLinkKey({ ...inputs })).toBe(key);
    expect(await moduleLinkKey({ ...inputs, runner: 'podman (tsbuild-patch-builder:1a2b)' })).not.toBe(key);
    expect(await moduleLinkKey({ ...inputs, vars: {} })).not.toBe(key);
    expect(await moduleLinkKey({ ...inputs, name: 'livepatch-b' })).not.toBe(key);
    await writeFile(join(scratch.path, 'fs__proc__cmdline.o'), 'object two');
    const objectChanged = await moduleLinkKey(inputs);
    expect(objectChanged).not.toBe(key);
    await writeFile(join(inputs.moduleDir, 'livepatch-module.c'), 'int y;\n');
    const sourceChanged = await moduleLinkKey(inputs);
    expect(sourceChanged).not.toBe(objectChanged);
    // A tree prepared again (its Module.symvers rewritten) is another tree for the link.
    await utimes(join(inputs.tree, 'Module.symvers'), new Date(), new Date(Date.now() + 5000));
    expect(await moduleLinkKey(inputs)).not.toBe(sourceChanged);
  });

  it('gives back what was kept, and nothing for an unknown key', async () => {
    const cache = join(scratch.path, 'linked-modules');
    const linked = join(scratch.path, 'built.ko');
    await writeFile(linked, 'module bytes');
    await keepModule(cache, 'k1', linked);
    const out = join(scratch.path, 'out.ko');
    expect(await takeKeptModule(cache, 'k1', out)).toBe(true);
    expect(await readFile(out, 'utf8')).toBe('module bytes');
    expect(await takeKeptModule(cache, 'k2', join(scratch.path, 'other.ko'))).toBe(false);
  });

  it(`keeps the ${KEPT_MODULES} most recently used`, async () => {
    const cache = join(scratch.path, 'linked-modules');
    const linked = join(scratch.path, 'built.ko');
    await writeFile(linked, 'm');
    const base = Date.now() / 1000 - 1000;
    for (let i = 0; i < KEPT_MODULES; i++) {
      await keepModule(cache, `k${i}`, linked);
      await utimes(join(cache, `k${i}.ko`), base + i, base + i);
    }
    // k0 is the oldest, but used now: k1 goes when one more is kept.
    expect(await takeKeptModule(cache, 'k0', join(scratch.path, 'o.ko'))).toBe(true);
    await keepModule(cache, 'new', linked);
    const names = (await readdir(cache)).sort();
    expect(names).toHaveLength(KEPT_MODULES);
    expect(names).toContain('k0.ko');
    expect(names).toContain('new.ko');
    expect(names).not.toContain('k1.ko');
  });
});
