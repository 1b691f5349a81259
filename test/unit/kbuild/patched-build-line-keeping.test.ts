/**
 * The patched build with line keeping, on a small tree whose object kbuild recorded: the user's
 * patch (moving lines only) and then the #line directives applied, the object compiled from the
 * source with the directives (by its recorded command, or by make for a changed header), the
 * code identical to the original's, and the tree, the original object and the user's patch file
 * as they were.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatched } from '../../../src/kbuild/patched-build.js';
import type { WorkTree } from '../../../src/kbuild/work-tree.js';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { readElf } from '../../../src/elf/index.js';
import { parsePatch } from '../../../src/patches/patch-file.js';
import { hostRunner } from '../../../src/toolchain/runner.js';

const HEADER = `extern void __might_sleep(const char *file, int line);

static inline int helper(int x)
{
	__might_sleep("fs/proc/x.h", __LINE__);
	return x;
}
`;

const SOURCE = `#include "x.h"
extern int _printk(const char *fmt, ...);

int first(int x)
{
	__might_sleep("fs/proc/x.c", __LINE__);
	return x + 1;
}

int second(int x)
{
	__might_sleep("fs/proc/x.c", __LINE__);
	_printk("%d\\n", x);
	return helper(x) * 2;
}
`;

const MOVED_LINES = `Comment lines above first(): every line below moves, no code changes.

--- a/fs/proc/x.c
+++ b/fs/proc/x.c
@@ -1,6 +1,10 @@
 #include "x.h"
 extern int _printk(const char *fmt, ...);
 
+/*
+ * first() adds one.
+ */
+
 int first(int x)
 {
 	__might_sleep("fs/proc/x.c", __LINE__);
`;

/**
 * Blank lines at the top of the header: the inline function's __LINE__ moves. And a declaration
 * no code uses: the object's preprocessed source differs (so it is compiled), its code does not.
 */
const HEADER_MOVED_LINES = `--- a/fs/proc/x.h
+++ b/fs/proc/x.h
@@ -1,3 +1,6 @@
+extern int x_unused;
+
+
 extern void __might_sleep(const char *file, int line);
 
 static inline int helper(int x)
`;

const FLAGS = '-O2 -ffunction-sections -fdata-sections -mfentry -pg -mrecord-mcount';
const COMPILE = `gcc ${FLAGS} -c -o fs/proc/x.o fs/proc/x.c`;
/** What make runs for the object (the tool's path when a header changed). */
const MAKEFILE = `fs/proc/x.o: fs/proc/x.c fs/proc/x.h\n\tgcc ${FLAGS} -c -o $@ $<\n`;

let tmp: DirectoryResult;
let tree: WorkTree;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  const entry = join(tmp.path, 'entry');
  const linux = join(entry, 'linux');
  await mkdir(join(linux, 'fs/proc'), { recursive: true });
  await writeFile(join(linux, '.config'), 'CONFIG_FTRACE_MCOUNT_USE_CC=y\n');
  await writeFile(join(linux, 'fs/proc/x.c'), SOURCE);
  await writeFile(join(linux, 'fs/proc/x.h'), HEADER);
  await writeFile(join(linux, 'Makefile'), MAKEFILE);
  await writeFile(
    join(linux, 'fs/proc/.x.o.cmd'),
    `savedcmd_fs/proc/x.o := ${COMPILE}\n\nsource_fs/proc/x.o := fs/proc/x.c\n`,
  );
  execFileSync('sh', ['-c', COMPILE], { cwd: linux });
  tree = {
    key: 'test',
    entry,
    dir: linux,
    kcflags: '',
    runner: hostRunner,
    vars: {},
    assumeOld: [],
    caches: entry,
    locate: async () => ({
      objects: [{ path: 'fs/proc/x.o', source: 'fs/proc/x.c', target: 'vmlinux', deps: [] }],
      unbuilt: [],
    }),
  };
});
afterAll(async () => {
  await tmp.cleanup();
});

const textSections = async (object: string) =>
  new Map(
    (await readElf(object)).sections
      .filter((s) => s.name.startsWith('.text'))
      .map((s) => [s.name, Buffer.from(s.data)]),
  );

/** Build PATCH (named NAME) in the tree; the pair, the run's directory and the log. */
async function build(name: string, patch: string) {
  const patchFile = join(tmp.path, `${name}.patch`);
  await writeFile(patchFile, patch);
  const outputDir = join(tmp.path, name);
  const log: string[] = [];
  const result = await buildPatched({
    tree,
    patches: [parsePatch(patchFile, patch)],
    outputDir,
    log: (line) => log.push(line),
  });
  expect(await readFile(patchFile, 'utf8')).toBe(patch);
  return { pair: result.pairs[0]!, outputDir, log };
}

/** The code of PAIR is the same, the tree and its object as they were. */
async function expectSameCodeAndTreeRestored(pair: { original: string; patched: string }, originalObject: Buffer) {
  expect(await textSections(pair.patched)).toEqual(await textSections(pair.original));
  expect(diffObjects({ original: pair.original, patched: pair.patched, lineNumbers: 'kept' }).outcome).toBe(
    'no-change',
  );
  expect(await readFile(join(tree.dir, 'fs/proc/x.c'), 'utf8')).toBe(SOURCE);
  expect(await readFile(join(tree.dir, 'fs/proc/x.h'), 'utf8')).toBe(HEADER);
  expect(await readFile(join(tree.dir, 'fs/proc/x.o'))).toEqual(originalObject);
}

describe('the patched build keeps line numbers', () => {
  it('compiles the recorded command on the source with the directives; the code is the same', async () => {
    const originalObject = await readFile(join(tree.dir, 'fs/proc/x.o'));
    const { pair, outputDir, log } = await build('moved-lines', MOVED_LINES);
    expect(await readFile(join(outputDir, 'patched-build.log'), 'utf8')).toContain('CC      fs/proc/x.o');
    expect(await readFile(join(outputDir, 'line-keeping.patch'), 'utf8')).toContain('+#line 4\n');
    expect(log).toContain(
      `line numbers kept with #line directives: fs/proc/x.c (1); ${join(outputDir, 'line-keeping.patch')}`,
    );
    await expectSameCodeAndTreeRestored(pair, originalObject);
  });

  it('compiles with make on a header with the directives; the code is the same', async () => {
    const originalObject = await readFile(join(tree.dir, 'fs/proc/x.o'));
    const { pair, outputDir } = await build('header-moved-lines', HEADER_MOVED_LINES);
    expect(await readFile(join(outputDir, 'patched-build.log'), 'utf8')).toContain(`gcc ${FLAGS}`);
    expect(await readFile(join(outputDir, 'line-keeping.patch'), 'utf8')).toContain(
      '+++ b/fs/proc/x.h\n@@ -3,0 +4,1 @@\n+#line 1\n',
    );
    await expectSameCodeAndTreeRestored(pair, originalObject);
  });
});
