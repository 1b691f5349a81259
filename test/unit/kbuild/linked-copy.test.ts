import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execa } from 'execa';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { isSharedSource, linkedTreeCopy } from '../../../src/kbuild/linked-copy.js';
import { repairWorkTree, TreeJournal } from '../../../src/kbuild/journal.js';
import { treeCopy } from '../../../src/kbuild/tree-slots.js';
import { applyPatch } from '../../../src/patches/apply-patch.js';
import { parsePatch } from '../../../src/patches/patch-file.js';
import { markedAtNs } from '../../../src/util/stage-marker.js';

// Repairing a dead run's journal asks podman and docker for its containers: not here.
vi.mock('../../../src/kbuild/leftovers.js', () => ({ stopLeftovers: async () => {} }));

/**
 * A synthetic prepared tree: sources unpacked with the archive's old times, the `populated`
 * marker, then what configure and prepare write (generated headers, .cmd files, objects, host
 * programs), as in a cache entry trees/<key>/.
 */
const SOURCES = 400;
const SOURCE_BYTES = 16 * 1024;

let tmp: DirectoryResult;
let entry: string;
let tree: string;
const messages: string[] = [];
const log = (message: string) => void messages.push(message);

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

const sourceText = (i: number) => `/* file ${i} */\n${'int x;\n'.repeat(SOURCE_BYTES / 7)}`;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'linked-copy-' });
  entry = join(tmp.path, 'trees', 'key');
  tree = join(entry, 'linux');
  await put(join(tree, 'Makefile'), 'all:\n');
  await put(join(tree, 'Kconfig'), 'config X\n');
  await put(join(tree, 'scripts/build.sh'), '#!/bin/sh\n');
  await put(join(tree, 'fs/proc/version.c'), 'int version(void) { return 1; }\nint other(void) { return 2; }\n');
  await put(join(tree, 'include/linux/a.h'), '#define A 1\n');
  for (let i = 0; i < SOURCES; i++) await put(join(tree, `drivers/d${i % 20}/f${i}.c`), sourceText(i));
  // tar gives each file its time in the archive.
  await execa('sh', ['-c', 'find "$1" -exec touch -h -d "2023-01-01 12:00:00.123456789" {} +', 'touch', tree]);
  await writeFile(join(entry, 'populated.ok'), 'now\n');
  // Written by configure, prepare and the originals' builds, after the marker.
  await new Promise((done) => setTimeout(done, 20));
  await put(join(tree, '.config'), 'CONFIG_X=y\n');
  await put(join(tree, 'include/generated/autoconf.h'), '#define CONFIG_X 1\n');
  await put(join(tree, 'include/config/auto.conf'), 'CONFIG_X=y\n');
  await put(join(tree, 'arch/x86/include/generated/asm/syscalls_64.h'), '__SYSCALL(0, read)\n');
  await put(join(tree, 'scripts/basic/fixdep'), Buffer.alloc(64 * 1024, 1));
  await put(join(tree, 'fs/proc/version.o'), Buffer.alloc(32 * 1024, 2));
  await put(join(tree, 'fs/proc/.version.o.cmd'), 'cmd_fs/proc/version.o := gcc ...\n');
  await put(join(tree, 'scripts/mod/elfconfig.h'), '#define KERNEL_ELFCLASS ELFCLASS64\n');
});
afterAll(async () => tmp?.cleanup());

/** Every regular file of DIR with its content (the pristine tree's state). */
async function contents(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    files.set(relative(root, path), await readFile(path, 'utf8'));
  }
  return files;
}

/** Blocks of DIRS as du counts them (a hard-linked inode once, in the first directory named). */
async function du(...dirs: string[]): Promise<number[]> {
  const { stdout } = await execa('du', ['-s', '--block-size=1', ...dirs]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[0]));
}

const inode = async (path: string) => (await stat(path)).ino;

describe('isSharedSource', () => {
  it('shares only files older than the unpacking that are not build outputs by name', () => {
    expect(isSharedSource('fs/proc/version.c', 10n, 20n)).toBe(true);
    expect(isSharedSource('fs/proc/version.c', 20n, 20n)).toBe(false);
    expect(isSharedSource('fs/proc/version.o', 10n, 20n)).toBe(false);
    expect(isSharedSource('fs/proc/.version.o.cmd', 10n, 20n)).toBe(false);
    expect(isSharedSource('include/generated/autoconf.h', 10n, 20n)).toBe(false);
    expect(isSharedSource('fs/proc/version.c', 10n, undefined)).toBe(false);
  });
});

describe('a tree slot (linked copy of a prepared tree)', () => {
  let slot: { entry: string; dir: string };
  let pristine: Map<string, string>;

  beforeAll(async () => {
    pristine = await contents(tree);
    slot = await treeCopy(entry, tree, 1, log);
  });

  it("has the tree's content, sources as hard links, build outputs as its own files", async () => {
    expect(await contents(slot.dir)).toEqual(pristine);
    for (const source of ['Makefile', 'Kconfig', 'scripts/build.sh', 'fs/proc/version.c', 'drivers/d3/f3.c']) {
      expect(await inode(join(slot.dir, source)), source).toBe(await inode(join(tree, source)));
    }
    for (const output of [
      '.config',
      'include/generated/autoconf.h',
      'include/config/auto.conf',
      'scripts/basic/fixdep',
      'fs/proc/version.o',
      'fs/proc/.version.o.cmd',
      'arch/x86/include/generated/asm/syscalls_64.h',
    ]) {
      expect(await inode(join(slot.dir, output)), output).not.toBe(await inode(join(tree, output)));
      expect((await stat(join(slot.dir, output), { bigint: true })).mtimeNs, output).toBe(
        (await stat(join(tree, output), { bigint: true })).mtimeNs,
      );
    }
    expect(messages.some((m) => m.includes(`${SOURCES + 5} sources shared with the tree, 8 build files copied`))).toBe(
      true,
    );
  });

  it('costs a fraction of a full copy on disk', async () => {
    const full = join(tmp.path, 'full-copy');
    await execa('cp', ['-a', tree, full]);
    const [treeBytes, slotBytes] = await du(tree, slot.dir);
    const [fullBytes] = await du(full);
    // Measured on this synthetic tree (405 sources of 16 KiB, 8 build files of 100 KiB in all).
    console.log(`tree ${treeBytes} bytes; full copy ${fullBytes} bytes; slot beyond the tree ${slotBytes} bytes`);
    expect(fullBytes).toBe(treeBytes);
    expect(slotBytes! * 5).toBeLessThan(fullBytes!);
  });

  it('a patch applied and restored in the slot, through the journal, never changes the tree', async () => {
    const patch = parsePatch(
      'fix.patch',
      [
        'diff --git a/fs/proc/version.c b/fs/proc/version.c',
        '--- a/fs/proc/version.c',
        '+++ b/fs/proc/version.c',
        '@@ -1,2 +1,2 @@',
        '-int version(void) { return 1; }',
        '+int version(void) { return 42; }',
        ' int other(void) { return 2; }',
        'diff --git a/include/linux/new.h b/include/linux/new.h',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/include/linux/new.h',
        '@@ -0,0 +1 @@',
        '+#define NEW 1',
        '',
      ].join('\n'),
    );
    const journal = await TreeJournal.begin(slot.entry, log);
    const touched = ['fs/proc/version.c', 'include/linux/new.h', 'fs/proc/version.o', 'fs/proc/.version.o.cmd'].map(
      (p) => join(slot.dir, p),
    );
    await journal.protect(touched);
    await applyPatch(slot.dir, patch);
    expect(await readFile(join(slot.dir, 'fs/proc/version.c'), 'utf8')).toContain('return 42');
    // What kbuild and the toolchain do to outputs: `>` redirections and in-place edits.
    await execa('sh', [
      '-c',
      'echo rebuilt > "$1/fs/proc/version.o"; echo "cmd := new" > "$1/fs/proc/.version.o.cmd"',
      'sh',
      slot.dir,
    ]);
    expect(await contents(tree)).toEqual(pristine);
    await journal.restore();
    expect(await contents(tree)).toEqual(pristine);
    expect(await contents(slot.dir)).toEqual(pristine);
  });

  it('a truncating write of any build output in the slot never changes the tree', async () => {
    const outputs = [
      '.config',
      'include/generated/autoconf.h',
      'include/config/auto.conf',
      'scripts/basic/fixdep',
      'scripts/mod/elfconfig.h',
      'arch/x86/include/generated/asm/syscalls_64.h',
    ];
    for (const output of outputs) await execa('sh', ['-c', 'printf changed > "$1"', 'sh', join(slot.dir, output)]);
    expect(await contents(tree)).toEqual(pristine);
  });

  it('nor does a patch applied and restored in the tree change the slot', async () => {
    const before = await contents(slot.dir);
    const patch = parsePatch(
      'other.patch',
      ['--- a/include/linux/a.h', '+++ b/include/linux/a.h', '@@ -1 +1 @@', '-#define A 1', '+#define A 2', ''].join(
        '\n',
      ),
    );
    const journal = await TreeJournal.begin(entry, log);
    await journal.protect([join(tree, 'include/linux/a.h')]);
    await applyPatch(tree, patch);
    expect(await contents(slot.dir)).toEqual(before);
    await journal.restore();
    expect(await contents(slot.dir)).toEqual(before);
    expect(await contents(tree)).toEqual(pristine);
  });

  it('a journal of an earlier version (one backup per file) restores without writing through the link', async () => {
    const source = join(slot.dir, 'drivers/d5/f5.c');
    expect(await inode(source)).toBe(await inode(join(tree, 'drivers/d5/f5.c')));
    const backup = join(slot.entry, 'patch-backup', '0');
    await put(backup, 'an older content\n');
    // A run above pid_max: a dead one.
    await writeFile(
      join(slot.entry, 'patch-journal.json'),
      JSON.stringify({
        pid: 2 ** 22 + 1,
        started: new Date().toISOString(),
        records: [{ path: source, existed: true, backup }],
      }),
    );
    expect(await repairWorkTree(slot.entry, log)).toBe(true);
    expect(await readFile(source, 'utf8')).toBe('an older content\n');
    expect(await contents(tree)).toEqual(pristine);
  });
});

describe('linkedTreeCopy without the unpacking time', () => {
  it('shares nothing', async () => {
    const to = join(tmp.path, 'unshared');
    const result = await linkedTreeCopy(tree, to, { sourcesBeforeNs: undefined });
    expect(result.linked).toBe(0);
    expect(await inode(join(to, 'Makefile'))).not.toBe(await inode(join(tree, 'Makefile')));
    expect(await markedAtNs(entry, 'populated')).toBeGreaterThan(0n);
  });
});
