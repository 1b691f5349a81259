import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeCpio, type CpioEntry } from '../../../src/vm/cpio.js';
import { BUSYBOX } from '../../../src/vm/initramfs.js';
import { KernelModules } from '../../../src/kernel/kernel-modules.js';
import { moduleContents, plainModulePath } from '../../../src/kernel/module-file.js';
import { UserError } from '../../../src/util/errors.js';
import { INITRAMFS_INIT, ROOT_DISK_MODULES } from './guest-files.js';

/**
 * A small busybox initramfs for a distribution kernel: it loads the modules the root disk
 * needs (virtio, ext4, with their dependencies, in order) and switches to /dev/vda. Modules
 * shipped as .ko.xz go in decompressed, as .ko (busybox insmod need not read xz).
 */
export async function rootDiskInitramfs(modulesDir: string): Promise<Buffer> {
  const busybox = await readFile(BUSYBOX).catch(() => {
    throw new UserError(`${BUSYBOX} is missing`, { hint: 'apt-get install busybox-static' });
  });
  const modules = await (await KernelModules.read(modulesDir)).withDependencies(ROOT_DISK_MODULES);
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'newroot', 'lib', 'lib/modules'].map((path) => ({ kind: 'dir' as const, path })),
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: INITRAMFS_INIT, mode: 0o755 },
    { kind: 'file', path: 'modules.order', data: modules.map((m) => basename(plainModulePath(m))).join('\n') + '\n' },
  ];
  for await (const { file, bytes } of moduleContents(modules))
    entries.push({ kind: 'file', path: `lib/modules/${basename(plainModulePath(file))}`, data: bytes });
  return gzipSync(writeCpio(entries), { level: 1 });
}
