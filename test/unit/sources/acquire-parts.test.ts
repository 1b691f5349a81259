/** Which packages of a distribution kernel each caller acquires: a boot only the image package. */
import { describe, expect, it } from 'vitest';
import { packagesToAcquire, PARTS_FOR } from '../../../src/sources/debian/acquire.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';

const release = '6.1.0-57-amd64';

describe('packagesToAcquire', () => {
  it('asks a boot for the image package alone (vmlinuz and modules): no source, no debug package', () => {
    expect(PARTS_FOR.boot).toEqual(['image']);
    expect(packagesToAcquire(DEBIAN_BOOKWORM, release, 'boot')).toEqual([
      { part: 'image', names: ['linux-image-6.1.0-57-amd64-unsigned'] },
    ]);
  });

  it('asks a build for all four packages', () => {
    expect(
      packagesToAcquire(DEBIAN_BOOKWORM, release, 'build')
        .flatMap((p) => p.names)
        .sort(),
    ).toEqual([
      'linux-headers-6.1.0-57-amd64',
      'linux-image-6.1.0-57-amd64-dbg',
      'linux-image-6.1.0-57-amd64-unsigned',
      'linux-source-6.1',
    ]);
  });

  it('leaves out what is installed: a boot of the running kernel downloads nothing', () => {
    expect(packagesToAcquire(DEBIAN_BOOKWORM, release, 'boot', new Set(['image']))).toEqual([]);
    expect(
      packagesToAcquire(DEBIAN_BOOKWORM, release, 'build', new Set(['image', 'headers'])).map((p) => p.part),
    ).toEqual(['source', 'debug']);
  });
});
