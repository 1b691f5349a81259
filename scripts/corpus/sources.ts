// The two source trees: linux-source-6.1 of each version, unpacked once under the corpus cache.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { decompressorArgs } from '../../src/kbuild/populate-tree.js';
import { distroTarget } from '../../src/sources/distro-target.js';
import type { TargetKernel } from '../../src/kernel/target-kernel.js';
import { stderrLogger } from '../../src/util/log.js';
import { corpusDir, NEW_VERSION, OLD_VERSION, RELEASE, treeDir } from './paths.js';

/** The source tarball of VERSION: the release's own (through distroTarget) or apt-get download. */
async function tarballOf(version: string, target: TargetKernel): Promise<string> {
  if (version === OLD_VERSION && target.source.kind === 'tarball') return target.source.tarball;
  const debs = join(corpusDir(), 'debs');
  const deb = join(debs, `linux-source-6.1_${version}_all.deb`);
  await mkdir(debs, { recursive: true });
  if (!existsSync(deb))
    await execa('apt-get', ['download', `linux-source-6.1=${version}`], { cwd: debs, stdio: 'inherit' });
  const out = join(debs, version);
  const tarball = join(out, 'usr/src/linux-source-6.1.tar.xz');
  if (!existsSync(tarball)) {
    await mkdir(out, { recursive: true });
    await execa('sh', [
      '-c',
      `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/src/linux-source-6.1.tar.xz`,
      'sh',
      deb,
      out,
    ]);
  }
  return tarball;
}

async function unpack(tarball: string, dir: string): Promise<void> {
  if (existsSync(`${dir}.ok`)) return;
  stderrLogger(`unpacking ${tarball} into ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await execa('tar', [...decompressorArgs(tarball), '-xf', tarball, '-C', dir, '--strip-components=1']);
  await writeFile(`${dir}.ok`, '');
}

/** The release's target (packages fetched) and both trees unpacked. */
export async function prepareSources(): Promise<{ target: TargetKernel; oldTree: string; newTree: string }> {
  const target = await distroTarget(RELEASE, stderrLogger);
  for (const version of [OLD_VERSION, NEW_VERSION]) await unpack(await tarballOf(version, target), treeDir(version));
  return { target, oldTree: treeDir(OLD_VERSION), newTree: treeDir(NEW_VERSION) };
}

/**
 * Trees holding at least FILES of both versions: the corpus's unpacked trees when they exist,
 * else only FILES extracted from each tarball into DIR (the kernel test needs a few files).
 */
export async function treesWith(files: readonly string[], dir: string): Promise<{ oldTree: string; newTree: string }> {
  if (existsSync(`${treeDir(OLD_VERSION)}.ok`) && existsSync(`${treeDir(NEW_VERSION)}.ok`))
    return { oldTree: treeDir(OLD_VERSION), newTree: treeDir(NEW_VERSION) };
  const target = await distroTarget(RELEASE, stderrLogger);
  const trees: string[] = [];
  for (const version of [OLD_VERSION, NEW_VERSION]) {
    const tree = join(dir, version);
    await mkdir(tree, { recursive: true });
    const tarball = await tarballOf(version, target);
    await execa('tar', [
      ...decompressorArgs(tarball),
      '-xf',
      tarball,
      '-C',
      tree,
      '--strip-components=1',
      ...files.map((f) => `linux-source-6.1/${f}`),
    ]);
    trees.push(tree);
  }
  return { oldTree: trees[0]!, newTree: trees[1]! };
}
