import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { plainModulePath, readModuleFile } from '../kernel/module-file.js';
import { UserError } from '../util/errors.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { GUEST_INIT, GUEST_LIBRARY } from './guest-init.js';

export const BUSYBOX = '/bin/busybox';

export interface InitramfsSpec {
  /** Shell script run by the guest (sourced by busybox sh with /lib/tsbp.sh loaded). */
  script: string;
  /** Kernel modules copied to /modules, the script's working directory (a .ko.xz decompressed, as .ko). */
  modules: readonly string[];
  /** Extra files: guest path → content. */
  files?: Readonly<Record<string, Buffer | string>>;
}

/** Build a gzip-compressed initramfs holding a static busybox, the modules and the script. */
export async function buildInitramfs(spec: InitramfsSpec): Promise<Buffer> {
  const busybox = await readFile(BUSYBOX).catch(() => {
    throw new UserError(`${BUSYBOX} is missing`, { hint: 'apt-get install busybox-static' });
  });
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'modules', 'etc'].map((path) => ({ kind: 'dir' as const, path })),
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: GUEST_INIT, mode: 0o755 },
    { kind: 'file', path: 'lib/tsbp.sh', data: GUEST_LIBRARY },
    { kind: 'file', path: 'test.sh', data: spec.script, mode: 0o755 },
  ];
  const seen = new Set<string>();
  for (const module of spec.modules) {
    const name = basename(plainModulePath(module));
    if (seen.has(name)) throw new UserError(`two modules named ${name} given to the VM`);
    seen.add(name);
    const data = await readModuleFile(module).catch((error: Error) => {
      if (error instanceof UserError) throw error;
      throw new UserError(`cannot read module ${module}: ${error.message}`);
    });
    entries.push({ kind: 'file', path: `modules/${name}`, data });
  }
  // The kernel's unpacker makes no missing parent directory: each gets an entry first.
  const dirs = new Set(entries.filter((entry) => entry.kind === 'dir').map((entry) => entry.path));
  for (const [given, data] of Object.entries(spec.files ?? {})) {
    const path = given.replace(/^\/+/, '');
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) entries.push({ kind: 'dir', path: dir });
      dirs.add(dir);
    }
    entries.push({ kind: 'file', path, data, mode: 0o755 });
  }
  return gzipSync(writeCpio(entries), { level: 1 });
}
