/**
 * kpatch-build users' command lines: its flags are aliases of the tool's options where they mean
 * the same, placed anywhere (before the patch too), parsed exactly as the tool parses them
 * (createCli with parsedOnly: nothing is built). A mistyped command is a usage error, told
 * before anything runs.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { closestCommand, createCli } from '../../../src/cli/cli.js';
import { moduleOutputPath } from '../../../src/pipeline/run.js';
import { UsageError } from '../../../src/util/errors.js';
import { exitCodeOf } from '../../../src/util/outcomes.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The command LINE names and its parsed arguments, as the tool would run them. */
async function parse(line: string): Promise<{ command: string; args: Record<string, unknown> }> {
  let parsed: { command: string; args: Record<string, unknown> } | undefined;
  await createCli(line.split(/\s+/), {
    parsedOnly: (command, args) => {
      parsed = { command, args };
    },
  }).parseAsync();
  if (!parsed) throw new Error(`${line}: no command ran`);
  return parsed;
}

/** The error parsing LINE ends in. */
async function parseError(line: string): Promise<unknown> {
  return parse(line).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("kpatch-build's flags", () => {
  it('parses a kpatch-build command line unchanged, options before the patch', async () => {
    const { command, args } = await parse(
      '-s linux -c linux/.config -v linux/vmlinux -n livepatch-fix -d -R --skip-cleanup -o out -j 2 fix.patch',
    );
    expect(command).toBe('$0');
    expect(args).toMatchObject({
      patches: ['fix.patch'],
      sourcedir: 'linux',
      config: 'linux/.config',
      vmlinux: 'linux/vmlinux',
      name: 'livepatch-fix',
      debug: true,
      nonReplace: true,
      keepTmp: true,
      output: 'out',
      jobs: 2,
    });
  });

  it('takes the long spellings, and the options after the patches', async () => {
    const { args } = await parse(
      'fix.patch other.patch --sourcedir linux --config c --vmlinux v --name m --debug --non-replace --skip-cleanup --output out.ko',
    );
    expect(args).toMatchObject({
      patches: ['fix.patch', 'other.patch'],
      sourcedir: 'linux',
      config: 'c',
      vmlinux: 'v',
      name: 'm',
      debug: true,
      nonReplace: true,
      keepTmp: true,
      output: 'out.ko',
    });
    // Stacking by default (versions that replace each other are a stream's); --replace asks for atomic replace.
    expect((await parse('fix.patch')).args).toMatchObject({ replace: false, nonReplace: false, keepTmp: false });
    expect((await parse('fix.patch --replace')).args).toMatchObject({ replace: true });
    expect((await parse('batch a.patch b.patch')).args).toMatchObject({ replace: false });
  });

  it('stream: a series, its name and version, one module per --kernel; stacking unless --replace', async () => {
    const { command, args } = await parse(
      'stream patches/series --stream cve-fixes --stream-version 3 --kernel 6.1.0-57-amd64 --kernel 6.1.0-50-amd64 -o out',
    );
    expect(command).toBe('stream');
    expect(args).toMatchObject({
      series: 'patches/series',
      stream: 'cve-fixes',
      streamVersion: '3',
      kernel: ['6.1.0-57-amd64', '6.1.0-50-amd64'],
      output: 'out',
      replace: false,
    });
    expect((await parse('stream s --stream a --stream-version 1 --kernel r --replace')).args).toMatchObject({
      replace: true,
    });
    // Its name, version and a release are needed.
    expect(await parseError('stream s --stream a --kernel r')).toBeInstanceOf(UsageError);
    expect(await parseError('stream s --stream-version 1 --kernel r')).toBeInstanceOf(UsageError);
    expect(await parseError('stream s --stream a --stream-version 1')).toBeInstanceOf(UsageError);
  });

  it('takes one release per --kernel, so a patch after it stays a patch', async () => {
    expect((await parse('--kernel 6.1.0-57-amd64 fix.patch')).args).toMatchObject({
      kernel: ['6.1.0-57-amd64'],
      patches: ['fix.patch'],
    });
    expect((await parse('--kernel a --kernel b -o out fix.patch')).args).toMatchObject({
      kernel: ['a', 'b'],
      patches: ['fix.patch'],
    });
  });

  it('writes into the -o directory as kpatch-build does; a path ending in .ko is the file', () => {
    expect(moduleOutputPath('out', 'livepatch-fix')).toBe(resolve('out/livepatch-fix.ko'));
    expect(moduleOutputPath('out/', 'livepatch-fix')).toBe(resolve('out/livepatch-fix.ko'));
    expect(moduleOutputPath('/tmp/x/mod.ko', 'livepatch-fix')).toBe('/tmp/x/mod.ko');
    expect(moduleOutputPath(undefined, 'livepatch-fix')).toBe(resolve('livepatch-fix.ko'));
  });

  it('keeps -s, -c and -v on the other commands that name a kernel', async () => {
    const { command, args } = await parse('prepare -s linux -c linux/.config -v vmlinux');
    expect(command).toBe('prepare');
    expect(args).toMatchObject({ sourcedir: 'linux', config: 'linux/.config', vmlinux: 'vmlinux' });
  });
});

describe('a mistyped command', () => {
  it('gets "did you mean" and the usage exit status', async () => {
    const error = await parseError('pakage x.ko');
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/unknown command 'pakage'.*did you mean package\?/);
    expect((error as UsageError).exitCode).toBe(exitCodeOf('usage'));
    expect(closestCommand('vmtest')).toBe('vm-test');
    expect(closestCommand('relases')).toBe('releases');
    expect(closestCommand('fix')).toBeUndefined();
  });

  it('is still a patch when a file of that name exists, or when it has a path or an extension', async () => {
    const work = await dir({ unsafeCleanup: true });
    const cwd = process.cwd();
    try {
      process.chdir(work.path);
      await writeFile('pakage', '');
      expect((await parse('pakage')).args).toMatchObject({ patches: ['pakage'] });
    } finally {
      process.chdir(cwd);
      await work.cleanup();
    }
    expect((await parse('pakage.patch')).args).toMatchObject({ patches: ['pakage.patch'] });
    expect((await parse('fixes/pakage')).args).toMatchObject({ patches: ['fixes/pakage'] });
  });

  it('exits with the usage status from the command line, and writes no run log', async () => {
    const cache = await dir({ unsafeCleanup: true });
    try {
      const result = await execa(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'src/cli/main.ts'), 'pakage', 'x.ko'],
        {
          reject: false,
          env: { TSBUILD_PATCH_CACHE: cache.path },
        },
      );
      expect(result.exitCode).toBe(exitCodeOf('usage'));
      expect(result.stderr).toContain("tsbuild-patch: unknown command 'pakage' (and no patch file of that name)");
      expect(result.stderr).toContain('did you mean package?');
      expect(result.stderr).toContain("run 'tsbuild-patch --help' for usage");
      expect(existsSync(join(cache.path, 'runs'))).toBe(false);
    } finally {
      await cache.cleanup();
    }
  });
});
