import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { UserError } from '../../util/errors.js';
import { sha256File } from '../../util/hash.js';
import { hostDistribution } from '../../kernel/distributions.js';

/** The distribution release whose kernel source the test kernel is built from: this host's (the table's default elsewhere). */
export const TEST_KERNEL_DISTRO = hostDistribution();
/** Its kernel source package (linux-source-6.1 on Debian 12) and the tarball it installs. */
export const SOURCE_PACKAGE = TEST_KERNEL_DISTRO.source.package;
export const SOURCE_TARBALL = `/${TEST_KERNEL_DISTRO.source.tarball}`;
/** Top directory inside the tarball. */
export const SOURCE_TOPDIR = TEST_KERNEL_DISTRO.source.topdir;

export interface SourcePackage {
  tarball: string;
  packageVersion: string;
  sha256: string;
}

/**
 * Identify the installed source tarball. The content hash is remembered per (path, size, mtime,
 * inode) so that a warm call does not re-read 130 MiB.
 */
export async function identifySourcePackage(cacheDir: string): Promise<SourcePackage> {
  const info = await stat(SOURCE_TARBALL).catch(() => undefined);
  if (!info) {
    throw new UserError(`${SOURCE_TARBALL} is missing`, { hint: `apt-get install ${SOURCE_PACKAGE}` });
  }
  const version = await execa('dpkg-query', ['-W', '-f=${Version}', SOURCE_PACKAGE], { reject: false });
  const packageVersion = version.failed ? 'unknown' : version.stdout.trim();
  const memoFile = join(cacheDir, 'tarball-hashes.json');
  const memoKey = `${SOURCE_TARBALL}:${info.size}:${info.mtimeMs}:${info.ino}`;
  const memo = (await readJsonCache<Record<string, string>>(memoFile)) ?? {};
  let digest = memo[memoKey];
  if (!digest) {
    digest = await sha256File(SOURCE_TARBALL);
    memo[memoKey] = digest;
    await writeFileAtomic(memoFile, JSON.stringify(memo, null, 1));
  }
  return { tarball: SOURCE_TARBALL, packageVersion, sha256: digest };
}
