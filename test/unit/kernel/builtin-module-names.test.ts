/**
 * The names a kernel has for built-in code (src/kernel/facts/builtin-modules.ts), read from a
 * kernel-like vmlinux and modules tree, and the refusal of a module name among them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { builtinModuleNames, builtinParameters } from '../../../src/kernel/facts/builtin-modules.js';
import { checkNotBuiltinName } from '../../../src/kernel/module-name.js';
import { RefusedError } from '../../../src/util/errors.js';
import { buildBuiltinLike, type BuiltinLike } from './builtin-like.js';

let work: DirectoryResult;
let kernel: BuiltinLike;
beforeAll(async () => {
  work = await dir({ unsafeCleanup: true, prefix: 'tsbp-builtin-' });
  kernel = await buildBuiltinLike(work.path);
});
afterAll(async () => work?.cleanup());

describe('built-in module names', () => {
  it("reads the vmlinux's parameter names through __param's name pointers", async () => {
    expect(builtinParameters(await readElf(kernel.vmlinux))).toEqual(['syscall.x32', 'panic', 'demo_drv.debug']);
  });

  it("are modules.builtin's modules and the prefixes of the parameters, not the core parameters", async () => {
    const names = await builtinModuleNames(kernel);
    expect(Object.fromEntries(names)).toEqual({
      ext4: 'modules.builtin',
      demo_drv: 'modules.builtin',
      syscall: 'its built-in parameter syscall.x32',
    });
  });

  it('are the parameters alone without a modules tree', async () => {
    const names = await builtinModuleNames({ vmlinux: kernel.vmlinux, modulesDir: join(work.path, 'nowhere') });
    expect([...names.keys()]).toEqual(['syscall', 'demo_drv']);
    expect([...(await builtinModuleNames({ vmlinux: kernel.vmlinux, modulesDir: '' })).keys()]).toEqual([
      'syscall',
      'demo_drv',
    ]);
  });

  it('refuses a __param section that is no array of struct kernel_param', async () => {
    const elf = await readElf(kernel.vmlinux);
    const table = elf.sectionByName('__param')!;
    table.data = Buffer.concat([table.data, Buffer.alloc(8)]);
    expect(() => builtinParameters(elf)).toThrow(/not a whole number of 40-byte struct kernel_param/);
    table.data = Buffer.alloc(40, 0xff);
    expect(() => builtinParameters(elf)).toThrow(/__param entry 0 does not name a parameter/);
  });
});

describe('checkNotBuiltinName', () => {
  it('refuses a built-in name, naming it, why and the kernel', async () => {
    const names = await builtinModuleNames(kernel);
    let error: unknown;
    try {
      checkNotBuiltinName('syscall', names, '6.1.0-tsbp');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RefusedError);
    const refused = error as RefusedError;
    expect(refused.reasons.map((r) => r.category)).toEqual(['builtin-module-name']);
    expect(refused.message).toBe(
      'module name syscall: kernel 6.1.0-tsbp already has a built-in module syscall (its built-in parameter syscall.x32), so loading the livepatch would fail with EINVAL ("syscall: module is already loaded")',
    );
    expect(refused.hint).toBe('choose another --name');
    // The kernel's name of a module: '-' is '_'.
    expect(() => checkNotBuiltinName('demo-drv', names, '6.1.0-tsbp')).toThrow(
      /built-in module demo_drv \(modules\.builtin\)/,
    );
  });

  it('takes any other name', async () => {
    const names = await builtinModuleNames(kernel);
    for (const name of ['livepatch-syscall', 'syscall2', 'panic', 'ext3'])
      expect(() => checkNotBuiltinName(name, names, '6.1.0-tsbp')).not.toThrow();
  });
});

// An unreadable modules.builtin is an error, not an empty list.
it('reports a modules.builtin it cannot read', async () => {
  const modulesDir = join(work.path, 'broken');
  await writeFile(modulesDir, '');
  await expect(builtinModuleNames({ vmlinux: kernel.vmlinux, modulesDir })).rejects.toThrow(/ENOTDIR/);
});
