import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { DistroRelease } from '../../kernel/distributions.js';
import { archivePackageNames, archiveVersions } from './apt.js';

/** A kernel release the archive holds everything for: image, headers, debug info and source. */
export interface BuildableRelease {
  release: string;
  /** Package version shared by the image, headers, debug and source packages, e.g. 6.1.192-3. */
  version: string;
}

/** Sort 6.1.0-9-amd64 before 6.1.0-57-amd64. */
const byAbi = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * The releases of DISTRO that can be built: the unsigned image, the headers and the debug
 * package of the release exist in one version, and the source package exists in that version.
 */
export async function buildableReleases(distro: DistroRelease): Promise<BuildableRelease[]> {
  const releases = (await archivePackageNames(distro.debugPackagePrefix))
    .map((name) => distro.releaseOfDebugPackage(name))
    .filter((r): r is string => r !== undefined);
  const names = releases.flatMap((r) => {
    const p = distro.packages(r);
    return [p.image, p.headers, p.debug];
  });
  const sourcePackage = distro.packages(releases[0] ?? '').source;
  const versions = await archiveVersions([...new Set([...names, sourcePackage])]);
  const sourceVersions = new Set(versions.get(sourcePackage) ?? []);
  const buildable: BuildableRelease[] = [];
  for (const release of releases) {
    const p = distro.packages(release);
    const image = versions.get(p.image) ?? [];
    const version = image.find(
      (v) =>
        (versions.get(p.headers) ?? []).includes(v) &&
        (versions.get(p.debug) ?? []).includes(v) &&
        sourceVersions.has(v),
    );
    if (version) buildable.push({ release, version });
  }
  return buildable.sort((a, b) => byAbi(a.release, b.release));
}

let refreshed = false;

/** apt-get update, once per process, when a release is missing from the lists (as root only). */
async function refreshPackageLists(log: Logger): Promise<boolean> {
  if (refreshed || process.getuid?.() !== 0) return false;
  refreshed = true;
  log('the package lists lack it: apt-get update');
  const result = await execa('apt-get', ['update', '-q'], { reject: false, stdin: 'ignore', all: true });
  return !result.failed;
}

/** The version of RELEASE to build, or a clear error listing the releases that can be built. */
export async function findBuildableRelease(
  distro: DistroRelease,
  release: string,
  log: Logger = () => {},
): Promise<BuildableRelease> {
  let all = await buildableReleases(distro);
  if (!all.some((r) => r.release === release) && (await refreshPackageLists(log)))
    all = await buildableReleases(distro);
  const hit = all.find((r) => r.release === release);
  if (hit) return hit;
  const list =
    all.length > 0
      ? all.map((r) => `${r.release} (${r.version})`).join(', ')
      : 'none (are the package lists current? run `apt-get update`)';
  const p = distro.packages(release);
  throw new UserError(
    `kernel ${release}: the archive lacks what a build needs (${p.image}, ${p.headers}, ${p.debug} and ${p.source} of one version)`,
    { hint: `releases of ${distro.description} that can be built: ${list}` },
  );
}

/** The newest release of DISTRO that can be built. */
export async function newestBuildableRelease(distro: DistroRelease, log: Logger = () => {}): Promise<string> {
  let all = await buildableReleases(distro);
  if (all.length === 0 && (await refreshPackageLists(log))) all = await buildableReleases(distro);
  const newest = all[all.length - 1];
  if (!newest)
    throw new UserError(`no release of ${distro.description} can be built from the package archive`, {
      hint: 'run `apt-get update`',
    });
  return newest.release;
}
