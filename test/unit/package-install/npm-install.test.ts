/**
 * The package as a user installs it: `npm pack` of the repository's files (what a clean clone
 * has: the prepack script builds dist/), `npm install -g` of that tarball into a scratch prefix
 * (dependencies from the local npm cache, which `npm ci` filled), then the installed
 * `tsbuild-patch` runs `--help` and `diff` on a pair of the peer corpus, away from the checkout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, loadCorpus, requireCorpus } from '../diff/corpus-cases.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const INSTALL_TIMEOUT = 5 * 60_000;

let scratch: DirectoryResult;
let tarball: string;
let packed: string[];
let prefix: string;
const bin = () => join(prefix, 'bin', 'tsbuild-patch');

/** The repository's files as a clean clone has them (tracked and new, not ignored), test/ aside. */
function repositoryFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && !file.startsWith('test/') && existsSync(join(ROOT, file)));
}

beforeAll(async () => {
  requireCorpus();
  scratch = await dir({ unsafeCleanup: true, prefix: 'tsbp-npm-install-' });
  const clone = join(scratch.path, 'clone');
  for (const file of repositoryFiles()) {
    await mkdir(dirname(join(clone, file)), { recursive: true });
    await cp(join(ROOT, file), join(clone, file), { verbatimSymlinks: true });
  }
  // The dev dependencies the prepack build needs (typescript), as `npm ci` installed them.
  await symlink(join(ROOT, 'node_modules'), join(clone, 'node_modules'));

  const packDir = join(scratch.path, 'pack');
  await mkdir(packDir);
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: clone });
  const [result] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(packDir, result!.filename);
  packed = result!.files.map((f) => f.path);

  prefix = join(scratch.path, 'prefix');
  // --prefer-offline: every tarball from the npm cache; only metadata it lacks is asked for.
  await execa(
    'npm',
    ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
    { cwd: scratch.path },
  );
}, INSTALL_TIMEOUT);

afterAll(async () => scratch?.cleanup());

describe('npm pack and npm install -g', () => {
  it('packs the built tool, its templates and the license, and nothing that needs the sources', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'bin/tsbuild-patch.js',
        'dist/cli/main.js',
        'kmod-template/livepatch-module.c.in',
        'runtime/tsbuild-patch-ctl',
        'docker/Dockerfile',
      ]),
    );
    // The loader's parts, which the tools package ships beside it (tsbuild-patch package).
    const parts = readdirSync(join(ROOT, 'runtime/ctl')).map((part) => `runtime/ctl/${part}`);
    expect(parts.length).toBeGreaterThan(5);
    expect(packed).toEqual(expect.arrayContaining(parts));
    expect(packed.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(packed.filter((file) => /^(src|scripts|test)\//.test(file) || file.endsWith('.ts'))).toEqual([]);
  });

  it('puts a working tsbuild-patch in the prefix', async () => {
    expect((await stat(bin())).mode & 0o111).not.toBe(0);
    const installed = join(prefix, 'lib', 'node_modules', 'tsbuild-patch');
    expect(await readdir(join(installed, 'node_modules'))).toEqual(expect.arrayContaining(['yargs', 'execa']));
    expect(existsSync(join(installed, 'node_modules', 'typescript'))).toBe(false);

    const help = await execa(bin(), ['--help'], { cwd: scratch.path });
    expect(help.stdout).toMatch(/^tsbuild-patch <command> \[options\]/);
    expect(help.stdout).toContain('tsbuild-patch diff <original> <patched>');
    const version = await execa(bin(), ['--version'], { cwd: scratch.path });
    const { version: expected } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(expected);
  });

  it('diffs a pair of the corpus with the installed command', async () => {
    const pair = loadCorpus().find((c) => c.name === 'cmdline-ubsan');
    expect(pair, `cmdline-ubsan in ${CORPUS_DIR}`).toBeDefined();
    const output = join(scratch.path, 'cmdline-ubsan.patch.o');
    const diff = await execa(bin(), ['diff', pair!.orig, pair!.patched, '-o', output], { cwd: scratch.path });
    expect(diff.exitCode).toBe(0);
    expect(diff.stdout).toContain('changed function: cmdline_proc_show');
    expect(diff.stdout).toContain(`patch object written to ${output}`);
    expect((await stat(output)).size).toBeGreaterThan(0);
  });
});
