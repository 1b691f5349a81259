import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/**
 * Build outputs never copied from a user's tree: the tool builds its own, and a user's
 * half-built tree must not leak into it.
 */
export const BUILD_OUTPUT_PATTERNS = [
  '*.o',
  '*.ko',
  '*.a',
  '*.mod',
  '*.mod.c',
  '*.cmd',
  '*.d',
  '*.order',
  '*.symvers',
  '*.tmp',
  '.tmp_*',
  '/vmlinux',
  '/vmlinux.*',
  '/System.map',
  '/include/generated/',
  '/include/config/',
  '/arch/*/include/generated/',
  '/.config',
  '/.config.old',
  '/modules.*',
  '/.git/',
] as const;

/**
 * The same patterns as a test on a path relative to the top of the tree, with rsync's meaning:
 * a leading '/' anchors at the top, a trailing '/' names a directory (everything below it),
 * '*' stays within one path component, and an unanchored name matches any component.
 */
function patternTest(pattern: string): (path: string) => boolean {
  const body = pattern.replace(/^\/|\/$/g, '');
  const glob = new RegExp(
    `^${body
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
  if (!pattern.startsWith('/')) return (path) => path.split('/').some((component) => glob.test(component));
  if (!pattern.endsWith('/')) return (path) => glob.test(path);
  const depth = body.split('/').length;
  return (path) => {
    const components = path.split('/');
    return components.length > depth && glob.test(components.slice(0, depth).join('/'));
  };
}

const BUILD_OUTPUT_TESTS = BUILD_OUTPUT_PATTERNS.map(patternTest);

/** Whether PATH (relative to the top of a tree) is a build output that copySourceDir leaves out. */
export function isBuildOutput(path: string): boolean {
  return BUILD_OUTPUT_TESTS.some((test) => test(path));
}

/**
 * tar's decompressor for TARBALL: xz with one thread per core for .tar.xz (Debian's kernel
 * sources are written in many blocks, which xz 5.4 decodes in parallel only when asked: 8.5 s of
 * the 6.12 source's unpack on one core), else what tar picks by itself.
 */
export function decompressorArgs(tarball: string): string[] {
  return tarball.endsWith('.xz') ? ['-I', 'xz -T0'] : [];
}

/** Unpack TOPDIR of TARBALL as TREE, through a staging directory (never half-unpacked at TREE). */
export async function unpackTarball(tarball: string, topdir: string, tree: string, log: Logger): Promise<void> {
  const staging = `${tree}.unpack-tmp`;
  await rm(staging, { recursive: true, force: true });
  await rm(tree, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  log(`unpacking ${tarball}`);
  await execa('tar', [...decompressorArgs(tarball), '-xf', tarball, '-C', staging], { stdin: 'ignore' });
  await rename(join(staging, topdir), tree);
  await rm(staging, { recursive: true, force: true });
}

/** Copy the sources of a user's tree (read only) into TREE, leaving out build outputs. */
export async function copySourceDir(source: string, tree: string, log: Logger): Promise<void> {
  await mkdir(dirname(tree), { recursive: true });
  log(`copying sources from ${source}`);
  const args = ['-a', '--delete', ...BUILD_OUTPUT_PATTERNS.map((p) => `--exclude=${p}`), `${source}/`, `${tree}/`];
  const result = await execa('rsync', args, { reject: false, stdin: 'ignore' });
  if (result.failed)
    throw new UserError(`copying ${source} failed: ${result.stderr || result.shortMessage}`, {
      hint: 'apt-get install rsync',
    });
}
