/**
 * Modules directories for the tests of kernels that ship `.ko.xz` (Debian 13): a directory of
 * small modules compiled here, and a copy of any modules directory with every `.ko`
 * xz-compressed the way a kernel package ships them (`xz --check=crc32`). The compiled modules
 * are ELF relocatable objects with what the readers and depmod look at: a .modinfo (depends,
 * softdep, alias, vermagic) and exports in __ksymtab_strings, used by other modules as
 * undefined symbols. When the cache holds a Debian 12 kernel (.ko files), a few of its real
 * modules make a second set; a fresh machine has only the compiled one.
 */
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../../../src/util/cache.js';

export const VERMAGIC = '6.12.0-test SMP preempt mod_unload modversions ';

export interface BuiltModule {
  /** Path under the modules directory. */
  path: string;
  /** .modinfo entries (a vermagic one is added). */
  modinfo: string[];
  /** Functions it defines and exports. */
  exports?: string[];
  /** Functions of other modules it calls. */
  uses?: string[];
}

/** Names with dashes, a soft dependency on an alias two modules provide, a module that needs two others. */
export const BUILT_MODULES: readonly BuiltModule[] = [
  { path: 'kernel/crypto/crc32c_generic.ko', modinfo: ['alias=crypto-crc32c', 'alias=crc32c', 'depends='] },
  { path: 'kernel/arch/x86/crypto/crc32c-intel.ko', modinfo: ['alias=crc32c', 'alias=crypto-crc32c', 'depends='] },
  { path: 'kernel/lib/libcrc32c.ko', modinfo: ['softdep=pre: crc32c', 'depends='], exports: ['crc32c_le_demo'] },
  { path: 'kernel/fs/fat/fat.ko', modinfo: ['alias=fs-fat', 'depends='], exports: ['fat_fill_super_demo'] },
  {
    path: 'kernel/fs/fat/vfat.ko',
    modinfo: ['alias=fs-vfat', 'depends=fat'],
    uses: ['fat_fill_super_demo'],
  },
  { path: 'kernel/fs/nls/mac-roman.ko', modinfo: ['depends='] },
  {
    path: 'kernel/fs/demo/demo-fs.ko',
    modinfo: ['softdep=pre: crc32c', 'depends=libcrc32c,fat'],
    uses: ['crc32c_le_demo', 'fat_fill_super_demo'],
  },
];

function source(module: BuiltModule): string {
  const entry = (i: number, text: string) =>
    `const char modinfo_${i}[] __attribute__((section(".modinfo"), used, aligned(1))) = ${JSON.stringify(text)};`;
  const lines = [...module.modinfo, `vermagic=${VERMAGIC}`].map((text, i) => entry(i, text));
  const exports = module.exports ?? [];
  exports.forEach((name, i) => lines.push(`int ${name}(void) { return ${i + 1}; }`));
  if (exports.length > 0)
    lines.push(
      `const char ksymtab_strings[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = "${exports.join('\\0')}";`,
    );
  for (const name of module.uses ?? []) lines.push(`extern int ${name}(void);`);
  if (module.uses?.length)
    lines.push(`int calls_others(void) { return ${module.uses.map((name) => `${name}()`).join(' + ')}; }`);
  return lines.join('\n') + '\n';
}

/** Compile MODULES into the modules directory DIR (made if missing); returns DIR. */
export async function buildModules(dir: string, modules: readonly BuiltModule[] = BUILT_MODULES): Promise<string> {
  for (const module of modules) {
    const target = join(dir, module.path);
    await mkdir(dirname(target), { recursive: true });
    await execa('gcc', ['-c', '-O2', '-x', 'c', '-', '-o', target], { input: source(module) });
  }
  return dir;
}

/** Real modules of Debian 12 picked for the tests: vfat and msdos need fat; mac-roman has a dash. */
export const DEBIAN_MODULES = [
  'kernel/fs/fat/fat.ko',
  'kernel/fs/fat/vfat.ko',
  'kernel/fs/fat/msdos.ko',
  'kernel/fs/nls/mac-roman.ko',
  'kernel/fs/nls/nls_cp437.ko',
];

/** A Debian 12 modules directory of the cache holding DEBIAN_MODULES, if there is one. */
export async function cachedDebianModulesDir(): Promise<string | undefined> {
  const kernels = join(cacheRoot(), 'kernels', 'debian-bookworm');
  for (const entry of (await readdir(kernels).catch(() => [] as string[])).sort()) {
    const modules = join(kernels, entry, 'files', 'lib', 'modules');
    for (const release of await readdir(modules).catch(() => [] as string[])) {
      const dir = join(modules, release);
      const present = await Promise.all(
        DEBIAN_MODULES.map((m) =>
          stat(join(dir, m)).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (present.every(Boolean)) return dir;
    }
  }
  return undefined;
}

/** Copy DEBIAN_MODULES of the modules directory FROM into DIR; returns DIR. */
export async function copyDebianModules(from: string, dir: string): Promise<string> {
  for (const module of DEBIAN_MODULES) {
    await mkdir(dirname(join(dir, module)), { recursive: true });
    await copyFile(join(from, module), join(dir, module));
  }
  return dir;
}

/** Every file under DIR, relative to it, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** A copy of the modules directory PLAIN at TARGET with every .ko compressed to .ko.xz; returns TARGET. */
export async function compressedCopy(plain: string, target: string): Promise<string> {
  for (const file of await filesUnder(plain)) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    if (file.endsWith('.ko'))
      await execa('xz', ['-c', '--check=crc32', '--', join(plain, file)], {
        stdout: { file: join(target, `${file}.xz`) },
      });
    else await copyFile(join(plain, file), join(target, file));
  }
  return target;
}
