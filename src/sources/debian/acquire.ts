import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../../util/cache.js';
import { withDirLock } from '../../util/lock.js';
import type { Logger } from '../../util/log.js';
import { onceMarked } from '../../util/stage-marker.js';
import { CACHE_FORMATS } from '../../util/cache-formats.js';
import { KCONFIG_OUTPUTS } from '../../kernel/kconfig.js';
import type { DistroPaths, DistroRelease } from '../../kernel/distributions.js';
import { aptContext } from './apt-context.js';
import { archivePackage, downloadPackage, extractDeb, extractFromDeb, type ArchivePackage } from './apt.js';
import { findBuildableRelease } from './catalog.js';
import { moduleUnitsFile, moduleUnitsFromDeb, moduleUnitsFromDir } from './module-units.js';

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
  /** The build's own Kconfig outputs under this directory (headers package), when it ships them all. */
  kconfigOutputsDir?: string;
  /** The compile units of its modules (debug package), when a build has read them already. */
  moduleUnits?: string;
  /** Read them now (minutes, once per release; see readModuleUnits). */
  readModuleUnits: () => Promise<string | undefined>;
  sourceTarball: string;
  /** The source package as the archive identifies it (name, version, SHA256 of the .deb). */
  sourceIdentity: string;
  /** Where the files were unpacked (the cache entry of this release). */
  entry: string;
}

/** One package of a release and what it holds: image (vmlinuz, modules), headers (config, symvers), debug (vmlinux, System.map), source. */
export type Part = 'image' | 'headers' | 'debug' | 'source';

/**
 * What a caller needs of a release: a build needs all four packages; a boot only the image
 * package (vmlinuz and modules), not the source and the ~860 MB debug package.
 */
export type Purpose = 'build' | 'boot';

/** The parts each purpose needs, in the order they are fetched. */
export const PARTS_FOR: Readonly<Record<Purpose, readonly Part[]>> = {
  build: ['source', 'debug', 'image', 'headers'],
  boot: ['image'],
};

/** The packages to download for PURPOSE: the parts it needs that are not INSTALLED, each with its package names. */
export function packagesToAcquire(
  distro: DistroRelease,
  release: string,
  purpose: Purpose,
  installed: ReadonlySet<Part> = new Set(),
): Array<{ part: Part; names: readonly string[] }> {
  const p = distro.packages(release);
  const names: Record<Part, readonly string[]> = {
    image: p.image,
    headers: [p.headers],
    debug: [p.debug],
    source: [p.source],
  };
  return PARTS_FOR[purpose].filter((part) => !installed.has(part)).map((part) => ({ part, names: names[part] }));
}

/** What each package contributes, and whether it must be unpacked whole. */
function partMembers(paths: DistroPaths): Record<Part, readonly string[] | 'all'> {
  return {
    image: 'all',
    headers: [paths.config, paths.symvers],
    debug: [paths.systemMap, paths.debugVmlinux],
    source: [paths.sourceTarball],
  };
}

/** What a package may contribute besides: unpacked when it holds them (the kernel build's Kconfig outputs). */
function optionalMembers(paths: DistroPaths): Partial<Record<Part, readonly string[]>> {
  return { headers: kconfigOutputsOf(paths) };
}

const kconfigOutputsOf = (paths: DistroPaths) => KCONFIG_OUTPUTS.map((file) => join(paths.headersDir, file));

/** The marker of PART in a release's entry: the headers' names its format (what is unpacked from the package). */
const partMarker = (part: Part) => (part === 'headers' ? `headers-${CACHE_FORMATS.kernelHeaders}` : part);

/** The marker of the module compile units read from the debug package (or the installed debug files). */
const MODULE_UNITS_MARKER = 'module-units';

const fileExists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const allExist = async (paths: readonly string[]) => (await Promise.all(paths.map(fileExists))).every(Boolean);

/** Files already on this machine (an installed kernel), part by part; a part is used only whole. */
async function installedParts(paths: DistroPaths, root: string): Promise<Set<Part>> {
  const exists = (p: string) => fileExists(join(root, p));
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

/** The files of a release a boot needs (the image package): see acquireDistroBootFiles. */
export type DistroBootFiles = Pick<DistroKernel, 'distro' | 'release' | 'version' | 'vmlinuz' | 'modulesDir' | 'entry'>;

interface Acquired {
  version: string;
  entry: string;
  /** The root a part's files are under: the installed system's, or the cache entry's. */
  rootOf: (part: Part) => string;
  files: string;
  source?: ArchivePackage;
}

/**
 * The packages of PURPOSE's parts for RELEASE, from the distribution's archive: the packages of
 * the release's version are downloaded with apt (verified by it), only the needed files are
 * unpacked, and the result is cached per (release, version) and part (a boot's image is reused
 * by a later build, which fetches only the rest); a warm call only checks markers. Downloads
 * and unpacking of the packages run side by side. The modules' compile units are read apart,
 * when a build needs them (readModuleUnits).
 */
async function acquireParts(
  distro: DistroRelease,
  release: string,
  purpose: Purpose,
  options: AcquireOptions,
): Promise<Acquired> {
  const { log } = options;
  const { version } = await findBuildableRelease(distro, release, log);
  const paths = distro.paths(release);
  const entry = join(cacheRoot(), 'kernels', distro.id, `${release}_${version}`);
  const files = join(entry, 'files');
  const installed = options.installedRoot ? await installedParts(paths, options.installedRoot) : new Set<Part>();
  const rootOf = (part: Part) => (installed.has(part) ? options.installedRoot! : files);
  const wanted = packagesToAcquire(distro, release, purpose, installed);
  const apt = aptContext(distro);
  const source = PARTS_FOR[purpose].includes('source')
    ? await archivePackage(apt, distro.packages(release).source, version)
    : undefined;
  await mkdir(files, { recursive: true });
  await withDirLock(
    join(entry, 'acquire.lock'),
    (pid) => log(`waiting for process ${pid}, which is downloading ${release}`),
    async () => {
      const members = partMembers(paths);
      const optional = optionalMembers(paths);
      await Promise.all(
        wanted.map(({ part, names }) =>
          onceMarked(entry, partMarker(part), async () => {
            const downloads = join(entry, `download-${part}`);
            await rm(downloads, { recursive: true, force: true });
            await mkdir(downloads, { recursive: true });
            for (const name of names) {
              const pkg: ArchivePackage =
                part === 'source' && source ? source : await archivePackage(apt, name, version);
              const deb = await downloadPackage(apt, pkg, downloads, log);
              const unpack = members[part];
              if (unpack === 'all') await extractDeb(deb, files);
              else await extractFromDeb(deb, files, unpack);
              const extra = optional[part];
              // Used only when all are there (acquireDistroKernel checks): one pass over the package.
              if (extra?.length)
                await extractFromDeb(deb, files, extra).catch(() =>
                  log(`${pkg.name} lacks one of ${extra.join(', ')}: the tree will be configured with olddefconfig`),
                );
            }
            await rm(downloads, { recursive: true, force: true });
          }),
        ),
      );
    },
  );
  return { version, entry, rootOf, files, ...(source ? { source } : {}) };
}

/**
 * The compile units of RELEASE's modules (module-units.json in its cache entry ENTRY), read the
 * first time a build needs them: from the installed debug files, else from the debug package,
 * downloaded again (its module files, ~6 GB unpacked, are never kept) and read as it streams
 * through. This takes minutes, so a build asks only when a changed file's own directory does not
 * build it (an object another directory's Makefile builds: amdgpu's display core, kvm's virt/).
 */
async function readModuleUnits(
  distro: DistroRelease,
  release: string,
  version: string,
  entry: string,
  options: AcquireOptions,
): Promise<string | undefined> {
  const { log } = options;
  const paths = distro.paths(release);
  const output = moduleUnitsFile(entry);
  await withDirLock(
    join(entry, 'acquire.lock'),
    (pid) => log(`waiting for process ${pid}, which is downloading ${release}`),
    () =>
      onceMarked(entry, MODULE_UNITS_MARKER, async () => {
        const installed = options.installedRoot ? await installedParts(paths, options.installedRoot) : new Set<Part>();
        if (installed.has('debug')) {
          await moduleUnitsFromDir(join(options.installedRoot!, paths.debugModulesDir), output, log);
          return;
        }
        const apt = aptContext(distro);
        const downloads = join(entry, 'download-module-units');
        await rm(downloads, { recursive: true, force: true });
        await mkdir(downloads, { recursive: true });
        const deb = await downloadPackage(
          apt,
          await archivePackage(apt, distro.packages(release).debug, version),
          downloads,
          log,
        );
        await moduleUnitsFromDeb(deb, paths.debugModulesDir, output, join(downloads, 'scratch'), log);
        await rm(downloads, { recursive: true, force: true });
      }),
  );
  return (await fileExists(output)) ? output : undefined;
}

/** Everything a build for RELEASE needs (all four packages; see acquireParts). */
export async function acquireDistroKernel(
  distro: DistroRelease,
  release: string,
  options: AcquireOptions,
): Promise<DistroKernel> {
  const acquired = await acquireParts(distro, release, 'build', options);
  const { rootOf, files, source } = acquired;
  const paths = distro.paths(release);
  return {
    ...bootFiles(distro, release, acquired),
    config: join(rootOf('headers'), paths.config),
    symvers: join(rootOf('headers'), paths.symvers),
    vmlinux: join(rootOf('debug'), paths.debugVmlinux),
    ...((await allExist(kconfigOutputsOf(paths).map((file) => join(rootOf('headers'), file))))
      ? { kconfigOutputsDir: join(rootOf('headers'), paths.headersDir) }
      : {}),
    systemMap: join(rootOf('debug'), paths.systemMap),
    ...((await fileExists(moduleUnitsFile(acquired.entry))) ? { moduleUnits: moduleUnitsFile(acquired.entry) } : {}),
    readModuleUnits: () => readModuleUnits(distro, release, acquired.version, acquired.entry, options),
    sourceTarball: join(files, paths.sourceTarball),
    sourceIdentity: `${source!.name}=${source!.version} sha256:${source!.sha256}`,
  };
}

/** What booting RELEASE needs: the image package alone (vmlinuz and modules). */
export async function acquireDistroBootFiles(
  distro: DistroRelease,
  release: string,
  options: AcquireOptions,
): Promise<DistroBootFiles> {
  return bootFiles(distro, release, await acquireParts(distro, release, 'boot', options));
}

/** The image package's files (what a boot needs), from what acquireParts fetched. */
function bootFiles(distro: DistroRelease, release: string, acquired: Acquired): DistroBootFiles {
  const paths = distro.paths(release);
  return {
    distro,
    release,
    version: acquired.version,
    entry: acquired.entry,
    vmlinuz: join(acquired.rootOf('image'), paths.vmlinuz),
    modulesDir: join(acquired.rootOf('image'), paths.modulesDir),
  };
}
