import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { copySourceDir, decompressorArgs, isBuildOutput, unpackTarball } from '../../../src/kbuild/populate-tree.js';
import { silentLogger } from '../../../src/util/log.js';

// A user's built tree: sources, and what a build leaves in it.
const FILES = [
  'Makefile',
  'fs/proc/cmdline.c',
  'fs/proc/internal.h',
  'arch/x86/kernel/vmlinux.lds.S',
  'arch/x86/include/asm/page.h',
  'scripts/Makefile.build',
  'include/linux/fs.h',
  'tools/objtool/elf.c',
  'drivers/vmlinux.txt',
  'fs/proc/cmdline.o',
  'fs/proc/.cmdline.o.cmd',
  'fs/proc/built-in.a',
  'fs/proc/modules.order',
  'samples/x/x.ko',
  'samples/x/x.mod',
  'samples/x/x.mod.c',
  'samples/x/.x.mod.cmd',
  'Module.symvers',
  'vmlinux',
  'vmlinux.o',
  'vmlinux.a',
  'System.map',
  '.config',
  '.config.old',
  'modules.order',
  'modules.builtin',
  '.tmp_vmlinux.kallsyms1',
  'scripts/.tmp_x',
  'include/generated/autoconf.h',
  'include/config/auto.conf',
  'arch/x86/include/generated/asm/orc_hash.h',
  '.git/HEAD',
  'fs/proc/.cmdline.o.d',
];

async function filesUnder(top: string): Promise<string[]> {
  const entries = await readdir(top, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(top, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

describe('build outputs of a user tree', () => {
  it('isBuildOutput names exactly the files copySourceDir (rsync) leaves out', async () => {
    const source = await dir({ unsafeCleanup: true });
    const target = await dir({ unsafeCleanup: true });
    for (const file of FILES) {
      await mkdir(dirname(join(source.path, file)), { recursive: true });
      await writeFile(join(source.path, file), file);
    }
    await copySourceDir(source.path, join(target.path, 'tree'), silentLogger);
    const copied = await filesUnder(join(target.path, 'tree'));
    expect(copied).toEqual(FILES.filter((file) => !isBuildOutput(file)).sort());
    expect(copied).toContain('arch/x86/kernel/vmlinux.lds.S');
    expect(copied).toContain('arch/x86/include/asm/page.h');
    expect(copied).not.toContain('vmlinux');
    expect(copied).not.toContain('arch/x86/include/generated/asm/orc_hash.h');
    await source.cleanup();
    await target.cleanup();
  });
});

describe('unpacking a source tarball', () => {
  it('unpacks a multi-block .tar.xz (decoded by xz with several threads) and a .tar.gz to the same tree', async () => {
    const work = await dir({ unsafeCleanup: true });
    const src = join(work.path, 'linux-source-9.9');
    for (let i = 0; i < 40; i++) {
      const file = join(src, `dir${i % 5}`, `file${i}.c`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `int f${i}(void) { return ${i}; }\n`.repeat(2000 + i));
    }
    const tar = join(work.path, 'src.tar');
    await execa('tar', ['-cf', tar, '-C', work.path, 'linux-source-9.9']);
    // Blocks of 64 KiB, as Debian's multi-threaded xz writes its (larger) blocks: many of them.
    await execa('xz', ['-k', '-T2', '--block-size=65536', tar]);
    await execa('gzip', ['-k', tar]);
    const blocks = await execa('xz', ['--robot', '-l', `${tar}.xz`]);
    expect(Number(/^totals\t\d+\t(\d+)/m.exec(blocks.stdout)?.[1])).toBeGreaterThan(4);
    expect(decompressorArgs(`${tar}.xz`)).toEqual(['-I', 'xz -T0']);
    expect(decompressorArgs(`${tar}.gz`)).toEqual([]);
    const listing = async (tree: string) =>
      (await execa('sh', ['-c', 'find . -type f | sort | xargs sha256sum'], { cwd: tree })).stdout;
    const expected = await listing(src);
    for (const tarball of [`${tar}.xz`, `${tar}.gz`]) {
      const tree = join(work.path, `tree-${tarball.slice(-2)}`);
      await unpackTarball(tarball, 'linux-source-9.9', tree, silentLogger);
      expect(await listing(tree)).toBe(expected);
    }
    await work.cleanup();
  });
});
