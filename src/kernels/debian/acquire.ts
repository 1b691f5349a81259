import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../../util/cache.js';
import { withDirLock } from '../../util/lock.js';
import type { Logger } from '../../util/log.js';
import { onceMarked } from '../../util/stage-marker.js';
import type { DistroPaths, DistroRelease } from '../distributions.js';
import { archivePackage, downloadPackage, extractDeb, extractFromDeb, type ArchivePackage } from './apt.js';
import { findBuildableRelease } from './catalog.js';

/** The files of one distribution kernel release, as its packages hold them. */
export interface DistroKernel {
  distro: DistroRelease;
  release: string;
  version: string;
  vmlinuz: string;
  modulesDir: string;
  config: string;
  symvers: string;
  /** vmlinux with .symtab and DWARF (debug package). */
  vmlinux: string;
  systemMap: string;
  sourceTarball: string;
  /** The source package as the archive identifies it (name, version, SHA256 of the .deb). */
  sourceIdentity: string;
  /** Where the files were unpacked (the cache entry of this release). */
  entry: string;
}

type Part = 'image' | 'headers' | 'debug' | 'source';

/** What each package contributes, and whether it must be unpacked whole. */
function partMembers(paths: DistroPaths): Record<Part, readonly string[] | 'all'> {
  return {
    image: 'all',
    headers: [paths.config, paths.symvers],
    debug: [paths.systemMap, paths.debugVmlinux],
    source: [paths.sourceTarball],
  };
}

/** Files already on this machine (an installed kernel), part by part; a part is used only whole. */
async function installedParts(paths: DistroPaths, root: string): Promise<Set<Part>> {
  const exists = (p: string) => access(join(root, p)).then(() => true, () => false);
  const parts = new Set<Part>();
  if ((await exists(paths.vmlinuz)) && (await exists(join(paths.modulesDir, 'kernel')))) parts.add('image');
  if ((await exists(paths.config)) && (await exists(paths.symvers))) parts.add('headers');
  if ((await exists(paths.debugVmlinux)) && (await exists(paths.systemMap))) parts.add('debug');
  return parts;
}

export interface AcquireOptions {
  log: Logger;
  /** Use what is installed under this root (e.g. "/" for the running kernel) before downloading. */
  installedRoot?: string;
}

/**
 * Everything a build for RELEASE needs, from the distribution's archive: the packages of the
 * release's version are downloaded with apt (verified by it), only the needed files are
 * unpacked, and the result is cached per (release, version); a warm call only checks markers.
 * Downloads and unpacking of the four packages run side by side.
 */
export async function acquireDistroKernel(distro: DistroRelease, release: string, options: AcquireOptions): Promise<DistroKernel> {
  const { log } = options;
  const { version } = await findBuildableRelease(distro, release, log);
  const names = distro.packages(release);
  const paths = distro.paths(release);
  const entry = join(cacheRoot(), 'kernels', distro.id, `${release}_${version}`);
  const files = join(entry, 'files');
  const installed = options.installedRoot ? await installedParts(paths, options.installedRoot) : new Set<Part>();
  const rootOf = (part: Part) => (installed.has(part) ? options.installedRoot! : files);
  const source = await archivePackage(names.source, version);
  await mkdir(files, { recursive: true });
  await withDirLock(join(entry, 'acquire.lock'), (pid) => log(`waiting for process ${pid}, which is downloading ${release}`), async () => {
    const members = partMembers(paths);
    const parts = (['source', 'debug', 'image', 'headers'] as const).filter((part) => !installed.has(part));
    await Promise.all(parts.map((part) => onceMarked(entry, `${part}`, async () => {
      const pkg: ArchivePackage = part === 'source' ? source : await archivePackage(names[part], version);
      const downloads = join(entry, `download-${part}`);
      await rm(downloads, { recursive: true, force: true });
      await mkdir(downloads, { recursive: true });
      const deb = await downloadPackage(pkg, downloads, log);
      const wanted = members[part];
      if (wanted === 'all') await extractDeb(deb, files);
      else await extractFromDeb(deb, files, wanted);
      await rm(downloads, { recursive: true, force: true });
    })));
  });
  return {
    distro, release, version, entry,
    vmlinuz: join(rootOf('image'), paths.vmlinuz),
    modulesDir: join(rootOf('image'), paths.modulesDir),
    config: join(rootOf('headers'), paths.config),
    symvers: join(rootOf('headers'), paths.symvers),
    vmlinux: join(rootOf('debug'), paths.debugVmlinux),
    systemMap: join(rootOf('debug'), paths.systemMap),
    sourceTarball: join(files, paths.sourceTarball),
    sourceIdentity: `${source.name}=${source.version} sha256:${source.sha256}`,
  };
}
