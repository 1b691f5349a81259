import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { UserError } from '../../util/errors.js';
import { sha256File } from '../../util/hash.js';

/** Debian's kernel source package and the tarball it installs. */
export const SOURCE_PACKAGE = 'linux-source-6.1';
export const SOURCE_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
/** Top directory inside the tarball. */
export const SOURCE_TOPDIR = 'linux-source-6.1';

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
