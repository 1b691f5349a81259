/**
 * The load order of a kernel's modules for a guest without modprobe: .modinfo "depends" and the
 * soft "pre:" dependencies, an alias resolved to the generic implementation.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryResult } from 'tmp-promise';
import { KernelModules, softPreDependencies } from '../../../src/kernel/kernel-modules.js';
import { UserError } from '../../../src/util/errors.js';
import { compileC, workDirectory } from '../diff/compile.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

/** A stand-in .ko at PATH (under the modules directory) whose .modinfo holds ENTRIES. */
async function fakeModule(path: string, entries: string[]): Promise<void> {
  const source = entries
    .map(
      (entry, i) =>
        `const char e${i}[] __attribute__((section(".modinfo"), used, aligned(1))) = ${JSON.stringify(entry)};`,
    )
    .join('\n');
  const object = await compileC(workdir.path, path.replace(/\W/g, '_'), source || 'int x;');
  const target = join(workdir.path, 'modules', path);
  await mkdir(dirname(target), { recursive: true });
  await rename(object, target);
}

describe('softPreDependencies', () => {
  it('reads the modules of "pre:" and not those of "post:"', () => {
    expect(softPreDependencies('pre: crc32c')).toEqual(['crc32c']);
    expect(softPreDependencies('pre: ehci_hcd  uhci-hcd post: foo')).toEqual(['ehci_hcd', 'uhci-hcd']);
    expect(softPreDependencies('post: foo')).toEqual([]);
  });
});

describe('KernelModules.withDependencies', () => {
  it('loads a soft dependency first, by module name or by alias, preferring crypto/', async () => {
    await fakeModule('kernel/arch/x86/crypto/crc32c-intel.ko', ['alias=crc32c', 'alias=crypto-crc32c', 'depends=']);
    await fakeModule('kernel/crypto/crc32c_generic.ko', ['alias=crypto-crc32c', 'alias=crc32c', 'depends=']);
    await fakeModule('kernel/lib/libcrc32c.ko', ['softdep=pre: crc32c', 'depends=']);
    await fakeModule('kernel/net/netfilter/nf_conntrack.ko', ['depends=libcrc32c,nf_defrag_ipv4']);
    await fakeModule('kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko', [
      'softdep=pre: missing_module nf_conntrack',
      'depends=',
    ]);
    await fakeModule('kernel/fs/ext4/ext4.ko', ['softdep=pre: crc32c', 'depends=libcrc32c']);
    const modules = await KernelModules.read(join(workdir.path, 'modules'));
    const names = (paths: string[]) => paths.map((p) => p.split('/').pop());
    expect(names(await modules.withDependencies(['nf_conntrack']))).toEqual([
      'crc32c_generic.ko',
      'libcrc32c.ko',
      'nf_defrag_ipv4.ko',
      'nf_conntrack.ko',
    ]);
    expect(names(await modules.withDependencies(['ext4']))).toEqual(['crc32c_generic.ko', 'libcrc32c.ko', 'ext4.ko']);
  });
});

describe('KernelModules.read', () => {
  it('fails naming the path and the reason when the modules directory is missing or not a directory', async () => {
    const missing = join(workdir.path, 'no-such-modules');
    const error = await KernelModules.read(missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('ENOENT');

    const file = join(workdir.path, 'modules-file');
    await writeFile(file, '');
    const notDir = await KernelModules.read(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(notDir).toBeInstanceOf(UserError);
    expect((notDir as Error).message).toMatch(new RegExp(`${file}.*ENOTDIR`));
  });
});
