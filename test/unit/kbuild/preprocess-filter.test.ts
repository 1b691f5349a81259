/**
 * The objects a header change reaches, preprocessed with real gcc before and after the change
 * by the commands kbuild recorded for them, on a small kernel-like tree: include/linux/thing.h,
 * included by three C files of which only fs/a.c is compiled with CONFIG_THING_DEBUG and only
 * fs/b.c uses THING_LIMIT. Only the objects whose text the change alters are kept; one that
 * cannot be compared (no record, no plain compile, a failing preprocessor) is kept; the tree,
 * its objects and their records are left as they were.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PreprocessFilter } from '../../../src/kbuild/preprocess-filter.js';
import type { ObjectInfo } from '../../../src/kbuild/object-index.js';
import { hostRunner, type Runner } from '../../../src/toolchain/runner.js';
import { kbuildRecord } from '../../support/kbuild-record.js';

const HEADER = 'include/linux/thing.h';
const THING = `#ifndef _LINUX_THING_H
#define _LINUX_THING_H

/* How many things there may be. */
#define THING_LIMIT 10
#define THING_UNUSED 1

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
  'fs/c.c': '#include <linux/thing.h>\nconst char *c(void) { return __FILE__; }\n',
};

const FLAGS = '-nostdinc -I./include -O2 -ffunction-sections -fdata-sections -fmacro-prefix-map=./=';

/** kbuild's compile command of OBJECT (as recorded: a dependency file, a post-step, make's escapes). */
function compileCommand(object: string, extra = ''): string {
  const name = object.replace(/^.*\//, '').replace(/\.o$/, '');
  return (
    `gcc -Wp,-MMD,fs/.${name}.o.d ${FLAGS} ${extra} -DKBUILD_BASENAME='"${name}"' -DKBUILD_MODNAME='"${name}"' ` +
    `-DCOST=$$((1+1)) -c -o ${object} ${object.replace(/\.o$/, '.c')}   ; touch fs/post-step-ran`
  );
}

let tmp: DirectoryResult;
let linux: string;
const objectInfo = (path: string): ObjectInfo => ({
  path,
  source: path.replace(/\.o$/, '.c'),
  target: 'vmlinux',
  deps: [],
});
const OBJECTS = ['fs/a.o', 'fs/b.o', 'fs/c.o'];

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  linux = join(tmp.path, 'linux');
  await mkdir(join(linux, 'include/linux'), { recursive: true });
  await mkdir(join(linux, 'fs'), { recursive: true });
  await writeFile(join(linux, HEADER), THING);
  const extra: Record<string, string> = { 'fs/a.o': '-DCONFIG_THING_DEBUG' };
  for (const [source, text] of Object.entries(SOURCES)) {
    const object = source.replace(/\.c$/, '.o');
    await writeFile(join(linux, source), text);
    const command = compileCommand(object, extra[object]);
    await writeFile(join(linux, `fs/.${object.slice(3)}.cmd`), kbuildRecord('cmd', object, command, source, [HEADER]));
    execFileSync('sh', ['-c', command.replace(/\$\$/g, '$').replace(/;.*$/, '')], { cwd: linux });
    await rm(join(linux, `fs/.${object.slice(3, -2)}.o.d`));
  }
  // fs/d.o: its record includes a header that is not there, so gcc fails on it every time.
  await writeFile(join(linux, 'fs/d.c'), SOURCES['fs/b.c']!);
  await writeFile(
    join(linux, 'fs/.d.o.cmd'),
    kbuildRecord('cmd', 'fs/d.o', compileCommand('fs/d.o', '-include ./include/missing.h'), 'fs/d.c', [HEADER]),
  );
  // fs/e.o: no record at all; fs/f.o: a record that links, no compile.
  await writeFile(join(linux, 'fs/e.c'), SOURCES['fs/b.c']!);
  await writeFile(join(linux, 'fs/f.c'), SOURCES['fs/b.c']!);
  await writeFile(
    join(linux, 'fs/.f.o.cmd'),
    kbuildRecord('cmd', 'fs/f.o', 'ld -r -o fs/f.o fs/f1.o fs/f2.o', 'fs/f.c', [HEADER]),
  );
});
afterAll(async () => {
  await tmp.cleanup();
});
afterEach(async () => {
  await writeFile(join(linux, HEADER), THING);
});

/** Every file of the tree with a hash of its content. */
async function snapshot(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(linux, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(
      path.slice(linux.length + 1),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return files;
}

/** The objects of OBJECTS kept when the header becomes CHANGED, and the run's log. */
async function kept(changed: string, objects: readonly string[] = OBJECTS) {
  await writeFile(join(linux, HEADER), THING);
  const log: string[] = [];
  const outputDir = join(tmp.path, `run-${Math.random().toString(36).slice(2)}`);
  // The tree's runner (here the host's, each command seen on its way).
  const commands: string[] = [];
  const runner: Runner = {
    ...hostRunner,
    exec(file, args, options) {
      commands.push([file, ...args].join(' '));
      return hostRunner.exec(file, args, options);
    },
  };
  const filter = await PreprocessFilter.before({
    tree: { dir: linux, runner, vars: {}, assumeOld: [] },
    objects: objects.map(objectInfo),
    outputDir: join(outputDir, 'preprocessed'),
    logFile: join(outputDir, 'patched-build.log'),
    jobs: 2,
    log: (line) => log.push(line),
  });
  await writeFile(join(linux, HEADER), changed);
  const result = await filter.after([HEADER]);
  const buildLog = await readFile(join(outputDir, 'patched-build.log'), 'utf8');
  // The texts are gone once compared.
  await expect(stat(join(outputDir, 'preprocessed'))).rejects.toThrow();
  return { kept: result.map((o) => o.path), log, buildLog, commands };
}

describe('the preprocessed sources of the objects a header change reaches', () => {
  it('keep no object for a change in a comment, also one that moves every line below it', async () => {
    const before = await snapshot();
    const comment = THING.replace(
      '/* How many things there may be. */',
      '/*\n * How many things there may be,\n * at most.\n */',
    );
    // Without a #line directive, thing_debug's __LINE__ moves with it: fs/a.o changes.
    expect((await kept(comment)).kept).toEqual(['fs/a.o']);
    // With the directive the line keeping puts below the change, nothing does.
    const directive = comment.replace(' * at most.\n */\n', ' * at most.\n */\n#line 5\n');
    const { kept: none, log } = await kept(directive);
    expect(none).toEqual([]);
    expect(log).toEqual([
      'preprocessing 3 object(s) before and after the patches: only those whose preprocessed source changes are compiled',
      expect.stringMatching(
        /^preprocessed 3 of 3 object\(s\) before and after the patches in \d+\.\d s \(2 jobs\): 0 differ, 3 unchanged \(not compiled\)$/,
      ),
    ]);
    // Not one file of the tree written: no object, no record, no dependency file, no post-step.
    await writeFile(join(linux, HEADER), THING);
    expect(await snapshot()).toEqual(before);
  });

  it('keep the object compiled with the option whose #ifdef branch changed', async () => {
    const { kept: result, commands } = await kept(THING.replace('return __LINE__;', 'return __LINE__ + 1;'));
    expect(result).toEqual(['fs/a.o']);
    // Through the tree's runner, a script of commands per call: here one object each, before and after.
    expect(commands).toHaveLength(6);
    for (const command of commands) expect(command).toMatch(/^sh \/.*\/preprocessed\/(orig|patched)\/\d\.sh$/);
  });

  it('keep the object that uses the changed macro, none for a macro no object uses', async () => {
    const { kept: limit, log } = await kept(THING.replace('THING_LIMIT 10', 'THING_LIMIT 20'));
    expect(limit).toEqual(['fs/b.o']);
    expect(log[1]).toMatch(/: 1 differ, 2 unchanged \(not compiled\)$/);
    expect((await kept(THING.replace('THING_UNUSED 1', 'THING_UNUSED 2'))).kept).toEqual([]);
  });

  it('keep every object that cannot be compared, saying why', async () => {
    const comment = THING.replace('How many things', 'How many of the things');
    const { kept: result, log, buildLog } = await kept(comment, [...OBJECTS, 'fs/d.o', 'fs/e.o', 'fs/f.o']);
    expect(result).toEqual(['fs/d.o', 'fs/e.o', 'fs/f.o']);
    expect(log[1]).toMatch(
      /^preprocessed 3 of 6 object\(s\) .*: 0 differ, 3 unchanged \(not compiled\); compiled without comparing: fs\/d\.o \(preprocessing failed: see patched-build\.log\), fs\/e\.o \(no compile command recorded\), fs\/f\.o \(its recorded command is no plain compile\)$/,
    );
    // The compiler's own message is in the build log.
    expect(buildLog).toContain('missing.h');
    expect(buildLog).toContain('preprocessing fs/d.o failed (exit 1)');
  });
});
