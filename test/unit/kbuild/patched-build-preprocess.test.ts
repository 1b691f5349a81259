/**
 * The patched build of a header change compiles only the objects whose preprocessed source the
 * change alters, on a small tree built by make with kbuild's records: the other objects are
 * neither compiled nor diffed, a change no object sees is "no functional change" without a
 * compile, and a header that prepare's generated files are made from (kernel/bounds.s here, as
 * in kbuild) is followed into them before the objects are compared.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatched } from '../../../src/kbuild/patched-build.js';
import type { WorkTree } from '../../../src/kbuild/work-tree.js';
import { parsePatch } from '../../../src/patches/patch-file.js';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { UserError } from '../../../src/util/errors.js';
import { exitCodeOf } from '../../../src/util/outcomes.js';
import { kbuildRecord } from '../../support/kbuild-record.js';

const HEADER = 'include/linux/thing.h';
const THING = `#ifndef _LINUX_THING_H
#define _LINUX_THING_H

/* How many things there may be. */
#define THING_LIMIT 10
#define THING_SIZE 8

#ifdef CONFIG_THING_DEBUG
static inline int thing_debug(void)
{
	return __LINE__;
}
#endif

#endif
`;

const SOURCES: Record<string, string> = {
  'fs/a.c': '#include <linux/thing.h>\nint a(void) { return thing_debug(); }\n',
  'fs/b.c': '#include <linux/thing.h>\nint b(void) { return THING_LIMIT; }\n',
  // THING_OFFSET comes from a generated header that prepare makes from THING_SIZE.
  'fs/c.c': '#include <linux/thing.h>\n#include <generated/thing-offsets.h>\nint c(void) { return THING_OFFSET; }\n',
  'kernel/bounds.c': '#include <linux/thing.h>\nOFFSET THING_SIZE\n',
};
const OBJECTS = ['fs/a.o', 'fs/b.o', 'fs/c.o'];

const FLAGS = '-nostdinc -I./include -O2 -ffunction-sections -fdata-sections';
const EXTRA: Record<string, string> = { 'fs/a.o': '-DCONFIG_THING_DEBUG' };
const compile = (object: string) =>
  `gcc -Wp,-MMD,${object.replace(/([^/]+)$/, '.$1.d')} ${FLAGS} ${EXTRA[object] ?? ''} -c -o ${object} ${object.replace(/\.o$/, '.c')}`;
const BOUNDS = `gcc ${FLAGS} -E -P -o kernel/bounds.s kernel/bounds.c`;

/** What make runs: the objects with the recorded commands, prepare making the generated header. */
const MAKEFILE = `${OBJECTS.map((o) => `${o}: ${o.replace(/\.o$/, '.c')} ${HEADER} include/generated/thing-offsets.h\n\t${compile(o)}\n`).join('')}
prepare: include/generated/thing-offsets.h
include/generated/thing-offsets.h: kernel/bounds.s
\tmkdir -p include/generated
\tsed -n 's/^OFFSET \\(.*\\)/#define THING_OFFSET \\1/p' kernel/bounds.s > $@
kernel/bounds.s: kernel/bounds.c ${HEADER}
\t${BOUNDS}
`;

let tmp: DirectoryResult;
let tree: WorkTree;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  const entry = join(tmp.path, 'entry');
  const linux = join(entry, 'linux');
  for (const sub of ['include/linux', 'fs', 'kernel']) await mkdir(join(linux, sub), { recursive: true });
  await writeFile(join(linux, HEADER), THING);
  for (const [source, text] of Object.entries(SOURCES)) await writeFile(join(linux, source), text);
  await writeFile(join(linux, 'Makefile'), MAKEFILE);
  execFileSync('make', ['-s', 'prepare', ...OBJECTS], { cwd: linux });
  // kbuild's records: the objects' compile commands, and prepare's bounds.s made from the header.
  for (const object of OBJECTS) {
    const source = object.replace(/\.o$/, '.c');
    await writeFile(
      join(linux, object.replace(/([^/]+)$/, '.$1.cmd')),
      kbuildRecord('cmd', object, compile(object), source, [HEADER]),
    );
  }
  await writeFile(
    join(linux, 'kernel/.bounds.s.cmd'),
    kbuildRecord('cmd', 'kernel/bounds.s', BOUNDS, 'kernel/bounds.c', [HEADER]),
  );
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
      objects: OBJECTS.map((path) => ({ path, source: path.replace(/\.o$/, '.c'), target: 'vmlinux', deps: [] })),
      unbuilt: [],
    }),
  };
});
afterAll(async () => {
  await tmp.cleanup();
});

/** Build the header change CHANGED (a patch named NAME); the result, the run's directory and log. */
async function build(name: string, changed: string) {
  const original = THING.split('\n');
  const after = changed.split('\n');
  // One hunk replacing the whole header: the line keeping still finds the unchanged lines.
  const text =
    `--- a/${HEADER}\n+++ b/${HEADER}\n@@ -1,${original.length - 1} +1,${after.length - 1} @@\n` +
    original
      .slice(0, -1)
      .map((l) => `-${l}\n`)
      .join('') +
    after
      .slice(0, -1)
      .map((l) => `+${l}\n`)
      .join('');
  const patchFile = join(tmp.path, `${name}.patch`);
  await writeFile(patchFile, text);
  const outputDir = join(tmp.path, name);
  const log: string[] = [];
  const result = buildPatched({
    tree,
    patches: [parsePatch(patchFile, text)],
    outputDir,
    log: (l) => log.push(l),
    jobs: 2,
  });
  return { result, outputDir, log };
}

const buildLog = (outputDir: string) => readFile(join(outputDir, 'patched-build.log'), 'utf8');

describe('the patched build of a header change', () => {
  it('compiles only the object whose preprocessed source changed', async () => {
    const { result, outputDir, log } = await build('limit', THING.replace('THING_LIMIT 10', 'THING_LIMIT 20'));
    expect((await result).pairs.map((p) => p.object.path)).toEqual(['fs/b.o']);
    expect(log).toContainEqual(expect.stringMatching(/^preprocessed 3 of 3 object\(s\) .*: 1 differ, 2 unchanged/));
    expect(log).toContain('patched build: 1 object(s): fs/b.o');
    const made = await buildLog(outputDir);
    expect(made).toContain('-c -o fs/b.o');
    expect(made).not.toContain('-c -o fs/a.o');
    expect(made).not.toContain('-c -o fs/c.o');
    expect(await readFile(join(tree.dir, HEADER), 'utf8')).toBe(THING);
  });

  it('is no functional change, without a compile, when no object sees the change', async () => {
    const comment = THING.replace(
      '/* How many things there may be. */',
      '/*\n * How many things there may be,\n * at most.\n */',
    );
    const { result, outputDir, log } = await build('comment', comment);
    const error = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      'no functional change: the preprocessed source of each of the 3 objects the patches reach is the same with them as without (line markers and blank lines aside)',
    );
    expect((error as UserError).exitCode).toBe(exitCodeOf('no-change'));
    // fs/a.o's __LINE__ below the comment kept its number: the line keeping's #line directive.
    expect(log).toContainEqual(expect.stringMatching(/: 0 differ, 3 unchanged \(not compiled\)$/));
    expect(await buildLog(outputDir)).not.toContain(' -c -o ');
    expect(await readFile(join(tree.dir, HEADER), 'utf8')).toBe(THING);
  });

  it("follows a change into prepare's generated header before comparing", async () => {
    const generated = join(tree.dir, 'include/generated/thing-offsets.h');
    expect(await readFile(generated, 'utf8')).toBe('#define THING_OFFSET 8\n');
    const { result, log } = await build('size', THING.replace('THING_SIZE 8', 'THING_SIZE 16'));
    // No object uses THING_SIZE; fs/c.o includes what prepare makes of it.
    expect((await result).pairs.map((p) => p.object.path)).toEqual(['fs/c.o']);
    expect(log).toContain(
      "prepare's generated headers are made from include/linux/thing.h: make prepare before preprocessing",
    );
    // The tree's generated header as it was.
    expect(await readFile(generated, 'utf8')).toBe('#define THING_OFFSET 8\n');
  });
});
