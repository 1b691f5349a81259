import { describe, expect, it } from 'vitest';
import { buildableReleases, findBuildableRelease } from '../../../src/kernels/debian/catalog.js';
import { distroTarget } from '../../../src/kernels/distro-target.js';
import { DEBIAN_BOOKWORM, distroOf } from '../../../src/kernels/distributions.js';
import { UserError } from '../../../src/util/errors.js';

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('distribution kernels', () => {
  it('knows a Debian 12 release by its name, and nothing else', () => {
    expect(distroOf('6.1.0-57-amd64')).toBe(DEBIAN_BOOKWORM);
    expect(distroOf('6.1.0-57-cloud-amd64')).toBeUndefined();
    expect(distroOf('5.15.0-91-generic')).toBeUndefined();
    expect(DEBIAN_BOOKWORM.packages('6.1.0-57-amd64')).toEqual({
      image: 'linux-image-6.1.0-57-amd64-unsigned', headers: 'linux-headers-6.1.0-57-amd64',
      debug: 'linux-image-6.1.0-57-amd64-dbg', source: 'linux-source-6.1',
    });
  });

  it('refuses a release of no known distribution, saying what to give instead', async () => {
    const error = await failure(distroTarget('5.15.0-91-generic', () => {}));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/5\.15\.0-91-generic is not a release of a known distribution/);
    expect((error as UserError).hint).toMatch(/--sourcedir, --config, --vmlinux, --symvers and --modules-dir/);
  });

  // apt's own package lists (apt-cache), as on any Debian machine.
  it('lists the releases the archive can build (image, headers, debug and source of one version)', async () => {
    const releases = await buildableReleases(DEBIAN_BOOKWORM);
    expect(releases.map((r) => r.release)).toEqual(expect.arrayContaining(['6.1.0-50-amd64', '6.1.0-57-amd64']));
    expect(releases.find((r) => r.release === '6.1.0-50-amd64')?.version).toBe('6.1.176-1');
  });

  it('refuses a release with no source or debug info in the archive, listing those that can be built', async () => {
    // 6.1.0-48 exists only as a signed image (see shared/notes/debian-kernel.md).
    const error = await failure(findBuildableRelease(DEBIAN_BOOKWORM, '6.1.0-48-amd64'));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/6\.1\.0-48-amd64: the archive lacks what a build needs/);
    expect((error as UserError).hint).toMatch(/6\.1\.0-50-amd64 \(6\.1\.176-1\)/);
  });
});
