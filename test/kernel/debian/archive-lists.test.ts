// The archive's live lists as the tool reads them (apt-cache on this machine's package lists),
// and the releases the kernel tests chose from them (./releases.ts). Properties, not versions:
// the archive drops old kernel releases and adds new ones every few weeks. (The listing logic on
// a fixed, made-up archive: test/unit/sources/distro-target.test.ts.)
import { describe, expect, it } from 'vitest';
import { archiveVersions } from '../../../src/sources/debian/apt.js';
import { aptContext } from '../../../src/sources/debian/apt-context.js';
import {
  buildableReleases,
  findBuildableRelease,
  newestBuildableRelease,
  packageNames,
} from '../../../src/sources/debian/catalog.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';
import { UserError } from '../../../src/util/errors.js';
import { debianTestReleases } from './releases.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
const abi = (release: string) => Number(/^6\.1\.0-(\d+)-amd64$/.exec(release)?.[1]);

describe("the archive's Debian 12 kernel releases", () => {
  it('lists releases that can be built: each with image, headers, debug and source of its version, oldest first', async () => {
    const releases = await buildableReleases(DEBIAN_BOOKWORM);
    expect(releases.length).toBeGreaterThanOrEqual(2);
    for (const { release } of releases) expect(release).toMatch(DEBIAN_BOOKWORM.releasePattern);
    const abis = releases.map((r) => abi(r.release));
    expect(abis).toEqual([...new Set(abis)].sort((a, b) => a - b));
    const packages = releases.flatMap((r) => packageNames(DEBIAN_BOOKWORM.packages(r.release)));
    const versions = await archiveVersions(aptContext(DEBIAN_BOOKWORM), [...new Set(packages)]);
    for (const { release, version } of releases) {
      for (const name of packageNames(DEBIAN_BOOKWORM.packages(release)))
        expect(versions.get(name), `${name} of ${release}`).toContain(version);
    }
    expect(await newestBuildableRelease(DEBIAN_BOOKWORM)).toBe(releases[releases.length - 1]!.release);
  });

  it('gives the tests the newest release, an older one and one it cannot build', async () => {
    const chosen = await debianTestReleases();
    const live = await buildableReleases(DEBIAN_BOOKWORM);
    expect(chosen.releases).toEqual([chosen.newest.release, chosen.older.release]);
    expect(live).toContainEqual(chosen.newest);
    expect(live).toContainEqual(chosen.older);
    expect(abi(chosen.older.release)).toBeLessThan(abi(chosen.newest.release));
    expect(chosen.unbuildable).toMatch(DEBIAN_BOOKWORM.releasePattern);
    expect(live.map((r) => r.release)).not.toContain(chosen.unbuildable);
    expect(await findBuildableRelease(DEBIAN_BOOKWORM, chosen.newest.release)).toEqual(chosen.newest);
  });

  it('refuses the release it cannot build, listing those it can', async () => {
    const { unbuildable, older, newest } = await debianTestReleases();
    const error = await failure(findBuildableRelease(DEBIAN_BOOKWORM, unbuildable));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(`kernel ${unbuildable}: the archive lacks what a build needs`);
    expect((error as UserError).hint).toContain(`${older.release} (${older.version})`);
    expect((error as UserError).hint).toContain(`${newest.release} (${newest.version})`);
  });
});
