import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { DistroPackages, DistroRelease } from '../../kernel/distributions.js';
import { aptContext, ensureLists, listsDate } from './apt-context.js';
import { archivePackageNames, archiveVersions } from './apt.js';
import { rememberedAnswer } from './apt-answers.js';

/** A kernel release the archive holds everything for: image, headers, debug info and source. */
export interface BuildableRelease {
  release: string;
  /** Package version shared by the image, headers, debug and source packages, e.g. 6.1.192-3. */
  version: string;
}

/** Every package of a release: the image's, headers, debug, source. */
export function packageNames(p: DistroPackages): string[] {
  return [...p.image, p.headers, p.debug, p.source];
}

/** Sort 6.1.0-9-amd64 before 6.1.0-57-amd64. */
const byAbi = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** How old package lists may be for a question about the newest releases (the archive moves daily). */
export const LISTS_MAX_AGE_MS = 6 * 3600 * 1000;

/**
 * The releases of DISTRO that can be built: the unsigned image, the headers and the debug
 * package of the release exist in one version, and the source package of its series exists in
 * that version. Read from the tool's own package lists of DISTRO's archive (fetched when
 * missing, or older than MAXAGE).
 */
export async function buildableReleases(
  distro: DistroRelease,
  log: Logger = () => {},
  maxAge = Number.POSITIVE_INFINITY,
): Promise<BuildableRelease[]> {
  const context = aptContext(distro);
  await ensureLists(context, distro, log, maxAge);
  // The question names how the table names the packages: another naming is another question.
  const naming = JSON.stringify([distro.debugPackagePrefix, packageNames(distro.packages('RELEASE'))]);
  return rememberedAnswer(context, `buildable releases ${naming}`, async () => {
    const releases = (await archivePackageNames(context, distro.debugPackagePrefix))
      .map((name) => distro.releaseOfDebugPackage(name))
      .filter((r): r is string => r !== undefined);
    const names = releases.flatMap((r) => packageNames(distro.packages(r)));
    const versions = await archiveVersions(context, [...new Set(names)]);
    const buildable: BuildableRelease[] = [];
    for (const release of releases) {
      const p = distro.packages(release);
      const [first, ...rest] = packageNames(p);
      const version = (versions.get(first!) ?? []).find((v) =>
        rest.every((name) => (versions.get(name) ?? []).includes(v)),
      );
      if (version) buildable.push({ release, version });
    }
    return buildable.sort((a, b) => byAbi(a.release, b.release));
  });
}

const refreshed = new Set<string>();

/** Fetch DISTRO's lists again, once per process, when a release is missing from them. */
async function refreshPackageLists(distro: DistroRelease, log: Logger): Promise<boolean> {
  if (refreshed.has(distro.id)) return false;
  refreshed.add(distro.id);
  log(`the package lists of ${distro.description} lack it: fetching them again`);
  await ensureLists(aptContext(distro), distro, log, 0);
  return true;
}

/** The version of RELEASE to build, or a clear error listing the releases that can be built. */
export async function findBuildableRelease(
  distro: DistroRelease,
  release: string,
  log: Logger = () => {},
): Promise<BuildableRelease> {
  let all = await buildableReleases(distro, log);
  if (!all.some((r) => r.release === release) && (await refreshPackageLists(distro, log)))
    all = await buildableReleases(distro, log);
  const hit = all.find((r) => r.release === release);
  if (hit) return hit;
  const list = all.length > 0 ? all.map((r) => `${r.release} (${r.version})`).join(', ') : 'none';
  const p = distro.packages(release);
  const date = await listsDate(aptContext(distro));
  throw new UserError(
    `kernel ${release}: the archive lacks what a build needs (${packageNames(p).join(', ')} of one version)`,
    {
      hint: `releases of ${distro.description} that can be built (package lists of ${date ?? 'unknown date'}): ${list}`,
    },
  );
}

/** The newest release of DISTRO that can be built (from lists at most LISTS_MAX_AGE_MS old). */
export async function newestBuildableRelease(distro: DistroRelease, log: Logger = () => {}): Promise<string> {
  const all = await buildableReleases(distro, log, LISTS_MAX_AGE_MS);
  const newest = all[all.length - 1];
  if (!newest)
    throw new UserError(`no release of ${distro.description} can be built from the package archive`, {
      hint: `its suites: ${distro.archive.suites.join(', ')}`,
    });
  return newest.release;
}

/** One distribution release's buildable releases, for `tsbuild-patch releases`. */
export interface DistroReleases {
  distribution: string;
  description: string;
  suites: readonly string[];
  /** When its package lists were fetched (ISO date). */
  lists: string | undefined;
  releases: BuildableRelease[];
}

/**
 * The buildable releases of each of DISTROS, side by side (their lists are fetched again when
 * older than MAXAGE: 0 fetches them now).
 */
export async function releasesByDistribution(
  distros: readonly DistroRelease[],
  log: Logger,
  maxAge = LISTS_MAX_AGE_MS,
): Promise<DistroReleases[]> {
  return Promise.all(
    distros.map(async (distro) => {
      const releases = await buildableReleases(distro, log, maxAge);
      return {
        distribution: distro.id,
        description: distro.description,
        suites: distro.archive.suites,
        lists: await listsDate(aptContext(distro)),
        releases,
      };
    }),
  );
}
