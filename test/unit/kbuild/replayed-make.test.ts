import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { instantiate, toTemplates } from '../../../src/kbuild/make-call-templates.js';
import { runMake, type MakeOptions } from '../../../src/kbuild/make.js';
import { runReplayedMake } from '../../../src/kbuild/replayed-make.js';

/**
 * A tree laid out as kbuild's: a top Makefile that probes the compiler (a $(shell) that leaves a
 * mark in probes.log each time the Makefile is read), exports the flags, unexports LC_ALL and
 * runs scripts/Makefile.build for single objects (obj=., ./<goal>) or for M= (then
 * scripts/Makefile.final); the sub-makefile compiles with gcc and writes kbuild-like .cmd records
 * and the environment it was given.
 */
async function kbuildLikeTree(options: { notKbuild?: boolean } = {}): Promise<string> {
  const { path } = await tmpDir({ unsafeCleanup: true });
  await mkdir(join(path, 'scripts'));
  await mkdir(join(path, 'sub'));
  await writeFile(join(path, 'a.c'), 'int a(int x) { return x * A_FACTOR; }\n');
  await writeFile(join(path, 'sub/b.c'), 'int b(int x) { return x + A_FACTOR; }\n');
  const subMake = options.notKbuild ? '$(MAKE) -f ./other.mk' : '$(MAKE) -f ./scripts/Makefile.build';
  await writeFile(
    join(path, 'Makefile'),
    [
      'MAKEFLAGS += -rR --no-print-directory',
      'unexport LC_ALL',
      'PROBED := $(shell echo probe >> probes.log; echo -O1)',
      'CC := gcc',
      'KBUILD_CFLAGS := $(PROBED) -DA_FACTOR=3 $(KCFLAGS)',
      'Q := @',
      'export CC KBUILD_CFLAGS Q MAKE',
      'ifneq ($(M),)',
      'export KBUILD_EXTMOD := $(M)',
      'modules: prepare',
      '\t$(Q)$(MAKE) -f ./scripts/Makefile.build obj=$(KBUILD_EXTMOD) modules',
      '\t$(Q)$(MAKE) -f ./scripts/Makefile.final',
      'else',
      'build-dir := .',
      '$(filter %.o,$(MAKECMDGOALS)): $(build-dir)',
      '\t@:',
      '$(build-dir): prepare',
      `\t$(Q)${subMake} obj=$@ $(addprefix ./,$(MAKECMDGOALS))`,
      'endif',
      'prepare:',
      '\t@echo prepared >> prepare.log',
      '.PHONY: prepare modules $(build-dir)',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(path, 'scripts/Makefile.build'),
    [
      'cmd = $(CC) $(KBUILD_CFLAGS) -c -o $@ $<',
      '%.o: %.c',
      '\t$(Q)$(cmd)',
      "\t$(Q)printf 'cmd_%s := %s\\n' '$@' '$(cmd)' > $(dir $@).$(notdir $@).cmd",
      "\t$(Q)env | grep -E '^(CC|KBUILD_CFLAGS|KCFLAGS|LC_ALL|MAKELEVEL|MAKEFLAGS|KBUILD_EXTMOD|MAKE)=' | sort > $(dir $@).$(notdir $@).env",
      'modules:',
      "\t$(Q)env | grep -E '^(CC|KBUILD_CFLAGS|LC_ALL|MAKELEVEL|MAKEFLAGS|KBUILD_EXTMOD|MAKE)=' | sort > $(obj)/build.env",
      '',
    ].join('\n'),
  );
  await writeFile(join(path, 'other.mk'), ['%.o: %.c', '\t$(CC) $(KBUILD_CFLAGS) -c -o $@ $<', ''].join('\n'));
  await writeFile(
    join(path, 'scripts/Makefile.final'),
    ['all:', '\t$(Q)echo "$(KBUILD_CFLAGS)" > $(KBUILD_EXTMOD)/final.txt', ''].join('\n'),
  );
  return path;
}

const probes = async (tree: string) =>
  (await readFile(join(tree, 'probes.log'), 'utf8').catch(() => '')).split('\n').length - 1;

function objectMake(tree: string, targets: string[]): MakeOptions {
  return {
    tree,
    targets,
    logFile: join(tree, 'build.log'),
    what: 'test build',
    prepared: true,
    vars: { KCFLAGS: '-ffunction-sections' },
    env: { LC_ALL: 'C' },
  };
}

/** Build TARGETS in a copy of TREE with make and its top Makefile: what kbuild itself makes. */
async function madeByMake(tree: string, targets: string[]): Promise<string> {
  const { path } = await tmpDir({ unsafeCleanup: true });
  const copy = join(path, 'tree');
  await cp(tree, copy, { recursive: true });
  await runMake(objectMake(copy, targets));
  return copy;
}

/** A built file of TREE, with TREE's own path taken out (copies differ only there). */
const builtFile = async (tree: string, file: string) =>
  (await readFile(join(tree, file), 'utf8')).split(tree).join('<tree>');

describe('make without the top Makefile: its recorded sub-makes', () => {
  it('records once, then builds objects exactly as make does without reading the top Makefile again', async () => {
    const tree = await kbuildLikeTree();
    const { path: keep } = await tmpDir({ unsafeCleanup: true });
    const replayed = (targets: string[]) =>
      runReplayedMake({ ...objectMake(tree, targets), keep: { dir: keep, name: 'objects' }, goalsVary: true });

    await replayed(['a.o']);
    expect(await probes(tree)).toBe(1); // the recording read the top Makefile once, the replay not at all
    await replayed(['sub/b.o']);
    expect(await probes(tree)).toBe(1);
    // prepare is taken as done, as with make -o prepare
    await expect(readFile(join(tree, 'prepare.log'), 'utf8')).rejects.toThrow();

    const reference = await madeByMake(tree, ['a.o', 'sub/b.o']);
    for (const file of ['a.o', 'sub/b.o'])
      expect(await readFile(join(tree, file))).toEqual(await readFile(join(reference, file)));
    for (const file of ['.a.o.cmd', '.a.o.env', 'sub/.b.o.cmd', 'sub/.b.o.env'])
      expect(await builtFile(tree, file)).toBe(await builtFile(reference, file));
    // The sub-make saw the top Makefile's exports and not what it unexported (LC_ALL).
    const env = await readFile(join(tree, '.a.o.env'), 'utf8');
    expect(env).toContain('KBUILD_CFLAGS=-O1 -DA_FACTOR=3 -ffunction-sections\n');
    expect(env).toContain('MAKELEVEL=2\n'); // the sub-make's recipe: one level below it
    expect(env).toContain('MAKE=make\n');
    expect(env).not.toContain('LC_ALL');

    // A makefile the top make read changes: recorded again.
    await writeFile(join(tree, 'Makefile'), `${await readFile(join(tree, 'Makefile'), 'utf8')}# changed\n`);
    await replayed(['a.o']);
    expect(await probes(tree)).toBe(2);
    // So do the make variables (the object is removed: this sub-makefile does not compare command lines).
    await rm(join(tree, 'a.o'));
    await runReplayedMake({
      ...objectMake(tree, ['a.o']),
      vars: { KCFLAGS: '-fdata-sections' },
      keep: { dir: keep, name: 'objects' },
      goalsVary: true,
    });
    expect(await probes(tree)).toBe(3);
    expect(await builtFile(tree, '.a.o.cmd')).toContain('-O1 -DA_FACTOR=3 -fdata-sections -c -o a.o a.c');
  });

  it('builds an external module in a new directory each time, the directory put back in every call', async () => {
    const tree = await kbuildLikeTree();
    const { path: keep } = await tmpDir({ unsafeCleanup: true });
    const moduleMake = async (parent: string) => {
      const dir = join(parent, 'module');
      await mkdir(dir);
      const options: MakeOptions = { ...objectMake(tree, ['modules']), prepared: false, vars: { M: dir } };
      return { dir, options };
    };
    const first = await moduleMake((await tmpDir({ unsafeCleanup: true })).path);
    await runReplayedMake({
      ...first.options,
      keep: { dir: keep, name: 'module' },
      parameters: { MODULE_DIR: first.dir },
    });
    const second = await moduleMake((await tmpDir({ unsafeCleanup: true })).path);
    await runReplayedMake({
      ...second.options,
      keep: { dir: keep, name: 'module' },
      parameters: { MODULE_DIR: second.dir },
    });
    expect(await probes(tree)).toBe(1);
    const third = await moduleMake((await tmpDir({ unsafeCleanup: true })).path);
    await runMake(third.options);
    const env = await readFile(join(second.dir, 'build.env'), 'utf8');
    expect(env).toContain(`KBUILD_EXTMOD=${second.dir}\n`);
    expect(env.split(second.dir).join('<M>')).toBe(
      (await readFile(join(third.dir, 'build.env'), 'utf8')).split(third.dir).join('<M>'),
    );
    expect(await readFile(join(second.dir, 'final.txt'), 'utf8')).toBe('-O1 -DA_FACTOR=3 \n');
  });

  it('drops the recording when a replayed build fails, so that the next run records it again', async () => {
    const tree = await kbuildLikeTree();
    const { path: keep } = await tmpDir({ unsafeCleanup: true });
    const options = { ...objectMake(tree, ['a.o']), keep: { dir: keep, name: 'objects' }, goalsVary: true };
    await runReplayedMake(options);
    await writeFile(join(tree, 'sub/b.c'), 'int b(int x) { return x + }\n');
    await expect(runReplayedMake({ ...options, targets: ['sub/b.o'] })).rejects.toThrow(
      /^test build failed: make sub\/b\.o \(the sub-makes kbuild runs, recorded in .*objects\.json\)/,
    );
    await expect(readFile(join(keep, 'objects.json'))).rejects.toThrow(/ENOENT/);
  });

  it('falls back to make when the recording make fails: make says why', async () => {
    const tree = await kbuildLikeTree();
    await writeFile(
      join(tree, 'Makefile'),
      `$(error the tree is broken)\n${await readFile(join(tree, 'Makefile'), 'utf8')}`,
    );
    const { path: keep } = await tmpDir({ unsafeCleanup: true });
    await expect(
      runReplayedMake({ ...objectMake(tree, ['a.o']), keep: { dir: keep, name: 'objects' }, goalsVary: true }),
    ).rejects.toThrow(/^test build failed: make a\.o in .*\(exit 2\)\n(.*\n)*.*the tree is broken/);
    const kept = JSON.parse(await readFile(join(keep, 'objects.json'), 'utf8')) as { unusable?: string };
    expect(kept.unusable).toBe('the recording make failed (exit 2)');
  });

  it('falls back to make when the top Makefile runs more than sub-makes, and remembers it', async () => {
    const tree = await kbuildLikeTree({ notKbuild: true });
    const { path: keep } = await tmpDir({ unsafeCleanup: true });
    const options = { ...objectMake(tree, ['a.o']), keep: { dir: keep, name: 'objects' }, goalsVary: true };
    await runReplayedMake(options);
    const kept = JSON.parse(await readFile(join(keep, 'objects.json'), 'utf8')) as { unusable?: string };
    expect(kept.unusable).toBe("the top Makefile runs more than kbuild's sub-makes: make -f ./other.mk obj=. ./a.o");
    // Recording (1) and make (2); the next call goes straight to make (3).
    expect(await probes(tree)).toBe(2);
    await runReplayedMake(options);
    expect(await probes(tree)).toBe(3);
  });
});

describe('recorded calls as templates', () => {
  const call = (args: string[], env: Record<string, string> = {}) => ({ cwd: '/t', args, env });
  const inputs = { goals: ['fs/a.o', 'b.o'], goalsVary: true, parameters: {} };

  it('takes the goals off the end of a call and puts others back', () => {
    const templates = toTemplates(
      { calls: [call(['-f', './scripts/Makefile.build', 'obj=.', './fs/a.o', './b.o'])], makefiles: [], make: 'make' },
      inputs,
    );
    expect(templates).toEqual([
      { cwd: '/t', args: ['-f', './scripts/Makefile.build', 'obj=.'], env: {}, goalsPrefix: './' },
    ]);
    expect(instantiate(templates as never, ['c.o'], {})).toEqual([
      { cwd: '/t', args: ['-f', './scripts/Makefile.build', 'obj=.', './c.o'], env: {} },
    ]);
  });

  it('refuses goals or parameters it cannot put back', () => {
    expect(
      toTemplates(
        {
          calls: [call(['-f', './scripts/Makefile.build', 'obj=.', './fs/a.o', './b.o'], { X: 'fs/a.o' })],
          makefiles: [],
          make: 'make',
        },
        inputs,
      ),
    ).toBe('the recorded calls name the goal fs/a.o where it cannot be replaced');
    expect(
      toTemplates(
        {
          calls: [call(['-f', '/k/scripts/Makefile.modpost'], { M: '/tmp/run-1/module', T: '/tmp/run-1/other' })],
          makefiles: [],
          make: 'make',
        },
        { goals: ['modules'], goalsVary: false, parameters: { MODULE_DIR: '/tmp/run-1/module' } },
      ),
    ).toBe('the recorded calls name /tmp/run-1 other than as /tmp/run-1/module (MODULE_DIR)');
    expect(toTemplates({ calls: [], makefiles: [], make: 'make' }, inputs)).toBe('the top Makefile makes no sub-make');
  });
});
