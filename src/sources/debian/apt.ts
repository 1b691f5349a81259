import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { AptContext } from './apt-context.js';
import { rememberedAnswer } from './apt-answers.js';

/**
 * The ordinary apt clients, used as they are, in the tool's own apt context (apt-context.ts):
 * apt-cache for what the archive holds, apt-get download for packages (apt checks each file
 * against the signed archive indexes).
 */

const aptHint = (context: AptContext) =>
  `the package lists in ${context.dir} may be old: \`tsbuild-patch releases --refresh\` fetches them again`;

/** Versions of each package that the configured archives hold (apt-cache madison), newest first. */
export async function archiveVersions(
  context: AptContext,
  packages: readonly string[],
): Promise<Map<string, string[]>> {
  const versions = new Map<string, string[]>(packages.map((p) => [p, []]));
  if (packages.length === 0) return versions;
  const result = await execa('apt-cache', [...context.options, 'madison', ...packages], {
    reject: false,
    stdin: 'ignore',
  });
  for (const line of result.stdout.split('\n')) {
    const [name, version, origin] = line.split('|').map((field) => field.trim());
    if (!name || !version || !origin?.includes('Packages')) continue;
    const list = versions.get(name);
    if (list && !list.includes(version)) list.push(version);
  }
  return versions;
}

/** Package names starting with PREFIX that the archives know (apt-cache pkgnames). */
export async function archivePackageNames(context: AptContext, prefix: string): Promise<string[]> {
  const result = await execa('apt-cache', [...context.options, 'pkgnames', prefix], {
    reject: false,
    stdin: 'ignore',
  });
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

export interface ArchivePackage {
  name: string;
  version: string;
  size: number;
  sha256: string;
}

/** The archive's record of one package version (size and checksum, as apt will verify them). */
export function archivePackage(context: AptContext, name: string, version: string): Promise<ArchivePackage> {
  return rememberedAnswer(context, `show ${name}=${version}`, () => showPackage(context, name, version));
}

async function showPackage(context: AptContext, name: string, version: string): Promise<ArchivePackage> {
  const result = await execa('apt-cache', [...context.options, 'show', `${name}=${version}`], {
    reject: false,
    stdin: 'ignore',
  });
  if (result.failed || !result.stdout.trim()) {
    throw new UserError(`${name} ${version} is not in the package archive`, { hint: aptHint(context) });
  }
  const record = result.stdout.split('\n\n')[0] ?? '';
  const field = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(record)?.[1]?.trim() ?? '';
  return { name, version, size: Number(field('Size')) || 0, sha256: field('SHA256') };
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

async function findDeb(dir: string, name: string): Promise<string | undefined> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const hit = files.find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
  return hit ? join(dir, hit) : undefined;
}

/**
 * Download one package version into DIR with apt-get (verified by apt), showing its size and,
 * for large files, the bytes so far. Returns the .deb's path.
 */
export async function downloadPackage(
  context: AptContext,
  pkg: ArchivePackage,
  dir: string,
  log: Logger,
): Promise<string> {
  log(`downloading ${pkg.name} ${pkg.version} (${megabytes(pkg.size)})`);
  const started = Date.now();
  const child = execa('apt-get', [...context.options, 'download', '-q', `${pkg.name}=${pkg.version}`], {
    cwd: dir,
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  const timer =
    pkg.size > 50e6
      ? setInterval(() => {
          void findDeb(dir, pkg.name).then(async (file) => {
            const size = file ? ((await stat(file).catch(() => undefined))?.size ?? 0) : 0;
            if (size > 0 && size < pkg.size) log(`  ${pkg.name}: ${megabytes(size)} of ${megabytes(pkg.size)}`);
          });
        }, 3000)
      : undefined;
  const result = await child.finally(() => clearInterval(timer));
  if (result.failed) {
    throw new UserError(
      `downloading ${pkg.name} ${pkg.version} failed:\n${String(result.all).trim().split('\n').slice(-8).join('\n')}`,
      { hint: aptHint(context) },
    );
  }
  const deb = await findDeb(dir, pkg.name);
  if (!deb) throw new UserError(`apt-get download ${pkg.name}=${pkg.version} left no .deb in ${dir}`);
  log(`downloaded ${pkg.name} (${megabytes(pkg.size)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return deb;
}

/** Extract MEMBERS (paths as in the package, without "./") of a .deb into DEST. */
export async function extractFromDeb(deb: string, dest: string, members: readonly string[]): Promise<void> {
  const tarArgs = ['-x', '-C', dest, '--occurrence=1', ...members.map((m) => `./${m}`)];
  const result = await execa('sh', ['-c', 'dpkg-deb --fsys-tarfile "$0" | tar "$@"', deb, ...tarArgs], {
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  if (result.failed)
    throw new UserError(`extracting ${members.join(', ')} from ${deb} failed:\n${String(result.all).trim()}`);
}

/** Extract a whole .deb into DEST. */
export async function extractDeb(deb: string, dest: string): Promise<void> {
  const result = await execa('dpkg-deb', ['-x', deb, dest], { reject: false, stdin: 'ignore', all: true });
  if (result.failed) throw new UserError(`extracting ${deb} failed:\n${String(result.all).trim()}`);
}
