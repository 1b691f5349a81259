import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { distroTarget } from '../../../src/sources/distro-target.js';
import {
  DEBIAN_BOOKWORM,
  DEBIAN_BOOKWORM_BACKPORTS,
  DEBIAN_TRIXIE,
  DEBIAN_TRIXIE_BACKPORTS,
  DISTRIBUTIONS,
  distroOf,
  distroOfCompiler,
  distroOfOsRelease,
  hostDistribution,
} from '../../../src/kernel/distributions.js';
import { distroPackagesFile, kernelBuildPackages, parsePackageList } from '../../../src/toolchain/host-packages.js';
import { SOURCE_PACKAGE, SOURCE_TARBALL, SOURCE_TOPDIR } from '../../../src/sources/test-kernel/source-package.js';
import { DEFAULT_ROOTFS, rootfsFor, rootfsKey } from '../../support/system-vm/rootfs.js';
import { UserError } from '../../../src/util/errors.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the distribution table', () => {
  it("says where Debian 12's kernels come from, what built them and how they are laid out", () => {
    const d = DEBIAN_BOOKWORM;
    expect(d.archive).toEqual({
      suites: ['bookworm', 'bookworm-updates', 'bookworm-security'],
      uris: ['http://deb.debian.org/debian', 'http://deb.debian.org/debian', 'http://deb.debian.org/debian-security'],
      keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
    expect(d.source).toEqual({
      package: 'linux-source-6.1',
      tarball: 'usr/src/linux-source-6.1.tar.xz',
      topdir: 'linux-source-6.1',
    });
    expect(d.sourceOf('6.1.0-57-amd64')).toEqual(d.source);
    expect(d.compiler).toBe('gcc-12');
    expect(d.toolchain).toEqual({ ccVersionText: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', binutils: '2.40' });
    expect(d.builder).toEqual({ suite: 'bookworm', packages: 'bookworm' });
    expect(d.moduleCompression).toBe('none');
    expect(d.paths('6.1.0-57-amd64')).toEqual({
      vmlinuz: 'boot/vmlinuz-6.1.0-57-amd64',
      modulesDir: 'lib/modules/6.1.0-57-amd64',
      config: 'usr/src/linux-headers-6.1.0-57-amd64/.config',
      symvers: 'usr/src/linux-headers-6.1.0-57-amd64/Module.symvers',
      headersDir: 'usr/src/linux-headers-6.1.0-57-amd64',
      debugVmlinux: 'usr/lib/debug/boot/vmlinux-6.1.0-57-amd64',
      systemMap: 'usr/lib/debug/boot/System.map-6.1.0-57-amd64',
      debugModulesDir: 'usr/lib/debug/lib/modules/6.1.0-57-amd64',
      sourceTarball: 'usr/src/linux-source-6.1.tar.xz',
    });
    expect(d.releaseOfDebugPackage('linux-image-6.1.0-57-amd64-dbg')).toBe('6.1.0-57-amd64');
    expect(d.releaseOfDebugPackage('linux-image-6.1.0-57-cloud-amd64-dbg')).toBeUndefined();
    expect(d.releaseOfDebugPackage('linux-image-6.1.0-57-amd64-unsigned')).toBeUndefined();
    expect(d.acquirable).toBe(true);
  });

  it("has Debian 13's entry: its releases, packages, gcc-14, .ko.xz under /usr/lib/modules", () => {
    const d = DEBIAN_TRIXIE;
    expect(distroOf('6.12.116+deb13-amd64')).toBe(d);
    expect(distroOf('6.12.115+deb13.1-amd64')).toBe(d);
    expect(distroOf('6.12.95+deb12-amd64')).toBe(DEBIAN_BOOKWORM_BACKPORTS);
    expect(distroOf('7.3.4+deb13-amd64')).toBe(DEBIAN_TRIXIE_BACKPORTS);
    expect(d.archive.suites).toEqual(['trixie', 'trixie-updates', 'trixie-security']);
    expect(d.packages('6.12.116+deb13-amd64')).toEqual({
      image: ['linux-image-6.12.116+deb13-amd64-unsigned'],
      headers: 'linux-headers-6.12.116+deb13-amd64',
      debug: 'linux-image-6.12.116+deb13-amd64-dbg',
      source: 'linux-source-6.12',
    });
    expect(d.paths('6.12.116+deb13-amd64').modulesDir).toBe('usr/lib/modules/6.12.116+deb13-amd64');
    expect(d.source.topdir).toBe('linux-source-6.12');
    expect(d.compiler).toBe('x86_64-linux-gnu-gcc-14');
    expect(d.toolchain.binutils).toBe('2.44');
    expect(d.builder.suite).toBe('trixie');
    expect(d.moduleCompression).toBe('xz');
    expect(d.releaseOfDebugPackage('linux-image-6.12.115+deb13.1-amd64-dbg')).toBe('6.12.115+deb13.1-amd64');
  });

  it('has the backports kernels: 6.12 for Debian 12 built with gcc-12, 7.x for Debian 13 in two image packages', () => {
    const b12 = DEBIAN_BOOKWORM_BACKPORTS;
    expect(b12.archive.suites).toEqual(['bookworm-backports']);
    expect(b12.toolchain).toEqual({
      ccVersionText: 'x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0',
      binutils: '2.40',
    });
    expect(b12.builder.suite).toBe('bookworm');
    expect(b12.packages('6.12.95+deb12-amd64').source).toBe('linux-source-6.12');
    const b13 = DEBIAN_TRIXIE_BACKPORTS;
    expect(b13.archive.suites).toEqual(['trixie-backports']);
    expect(b13.builder).toEqual({ suite: 'trixie', packages: 'trixie-rust' });
    expect(b13.packages('7.3.4+deb13-amd64')).toEqual({
      image: ['linux-binary-unsigned-7.3.4+deb13-amd64', 'linux-modules-7.3.4+deb13-amd64'],
      headers: 'linux-headers-7.3.4+deb13-amd64',
      debug: 'linux-image-7.3.4+deb13-amd64-dbg',
      source: 'linux-source-7.3',
    });
    expect(b13.sourceOf('7.2.12+deb13-amd64').topdir).toBe('linux-source-7.2');
    expect(b13.paths('7.3.4+deb13-amd64')).toMatchObject({
      vmlinuz: 'usr/lib/modules/7.3.4+deb13-amd64/vmlinuz.unsigned',
      modulesDir: 'usr/lib/modules/7.3.4+deb13-amd64',
      debugVmlinux: 'usr/lib/debug/lib/modules/7.3.4+deb13-amd64/vmlinux',
      systemMap: 'usr/lib/debug/lib/modules/7.3.4+deb13-amd64/System.map',
      debugModulesDir: 'usr/lib/debug/lib/modules/7.3.4+deb13-amd64',
    });
    expect(b12.paths('6.12.95+deb12-amd64').modulesDir).toBe('lib/modules/6.12.95+deb12-amd64');
    expect(b13.paths('7.2.12+deb13-amd64').sourceTarball).toBe('usr/src/linux-source-7.2.tar.xz');
    expect(b13.releaseOfDebugPackage('linux-image-7.3.4+deb13-amd64-dbg')).toBe('7.3.4+deb13-amd64');
    expect(b13.releaseOfDebugPackage('linux-image-6.12.118+deb13-amd64-dbg')).toBeUndefined();
  });

  it('refuses a release of no known distribution, naming the known ones', async () => {
    const error = await failure(distroTarget('5.10.0-30-amd64', () => {}));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('kernel 5.10.0-30-amd64 is not a release of a known distribution');
    for (const d of DISTRIBUTIONS) expect((error as UserError).hint).toContain(d.description);
  });

  it("names a machine's own entry by codename, never a backports one", () => {
    for (const d of DISTRIBUTIONS) {
      expect(distroOfOsRelease(`VERSION_CODENAME=${d.codename}\n`)?.archive.suites[0]).toBe(d.codename);
    }
  });

  it("knows a machine's release by its os-release codename, and a kernel's by its compiler", () => {
    expect(
      distroOfOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'),
    ).toBe(DEBIAN_BOOKWORM);
    expect(distroOfOsRelease('VERSION_CODENAME="trixie"\n')).toBe(DEBIAN_TRIXIE);
    expect(distroOfOsRelease('VERSION_CODENAME=jammy\n')).toBeUndefined();
    expect(distroOfOsRelease('')).toBeUndefined();
    expect(distroOfCompiler('(Debian 12.2.0-14+deb12u1) 12.2.0')).toBe(DEBIAN_BOOKWORM);
    expect(distroOfCompiler('(Debian 14.2.0-19) 14.2.0')).toBe(DEBIAN_TRIXIE);
    expect(distroOfCompiler('(Debian 12.2.0-14) 12.2.0')).toBeUndefined();
  });

  it("has, for each entry, a package list of its builder naming its compiler's package", () => {
    for (const d of DISTRIBUTIONS) {
      const file = distroPackagesFile(d);
      expect(existsSync(file), file).toBe(true);
      const major = /\) (\d+)\.\d+/.exec(d.toolchain.ccVersionText)![1];
      expect(parsePackageList(readFileSync(file, 'utf8'))).toContain(`gcc-${major}`);
      expect(d.compiler.endsWith(`gcc-${major}`)).toBe(true);
    }
    const bookworm = kernelBuildPackages(DEBIAN_BOOKWORM);
    expect(bookworm).toContain('gcc-12');
    expect(bookworm).toContain('make');
    expect(bookworm).not.toContain('gcc-14');
    expect(kernelBuildPackages(DEBIAN_TRIXIE)).toContain('gcc-14');
  });

  it("gives the test kernel the host release's source, and a system VM its kernel's release", () => {
    // On Debian 12 (scripts/install-deps.sh's machines): linux-source-6.1, as before.
    const { source } = hostDistribution();
    expect([SOURCE_PACKAGE, SOURCE_TARBALL, SOURCE_TOPDIR]).toEqual([
      source.package,
      `/${source.tarball}`,
      source.topdir,
    ]);
    const modules = '/cache/6.1.0-57-amd64_6.1.192-3/lib/modules/6.1.0-57-amd64';
    expect(DEFAULT_ROOTFS.suite).toBe('bookworm');
    expect(rootfsFor('6.1.0-57-amd64', modules)).toEqual({
      ...DEFAULT_ROOTFS,
      release: '6.1.0-57-amd64',
      modulesDir: modules,
    });
    expect(rootfsKey(rootfsFor('6.1.0-57-amd64', modules))).toBe(
      rootfsKey({ ...DEFAULT_ROOTFS, release: '6.1.0-57-amd64', modulesDir: modules }),
    );
    expect(rootfsFor('6.12.116+deb13-amd64', '/m').suite).toBe('trixie');
  });
});
