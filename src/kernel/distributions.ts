/**
 * Distribution facts, in one place: where a distribution release's kernels come from (archive
 * suites, keyring), how it names its kernel releases and packages, where each file sits inside
 * them, which compiler and binutils built them (and so which builder image builds for them), and
 * how its modules are installed. A second distribution release is a new entry here, plus what is
 * truly new (docker/build-packages.<suite>.txt: the compiler package of its builder image).
 */
import { readFileSync } from 'node:fs';

export interface DistroRelease {
  /** Short id used in cache paths and messages, e.g. "debian-bookworm". */
  id: string;
  description: string;
  /** The distribution release's codename, as /etc/os-release's VERSION_CODENAME names it on its machines. */
  codename: string;
  /** Where its kernel packages are published. */
  archive: DistroArchive;
  /** Kernel releases of this distribution release, e.g. 6.1.0-57-amd64. */
  releasePattern: RegExp;
  /** Architecture of the kernels (the tool's arch folder: src/arch/<arch>). */
  arch: 'x86_64';
  /**
   * The source package of its own kernels (linux-source-6.1 on Debian 12: what the test kernel
   * is built from on such a machine): the package, its tarball and the tarball's top directory.
   */
  source: DistroSource;
  /** The source package of one kernel release (a backports suite serves several series: 7.2, 7.3). */
  sourceOf(release: string): DistroSource;
  /** The compiler that builds the kernel, as kbuild's CC (its `--version` names the kernel's). */
  compiler: string;
  /** What its kernels were built with: the builder image must have exactly this (checked against each kernel). */
  toolchain: DistroToolchain;
  /** The container image its kernels' objects are built in. */
  builder: DistroBuilder;
  /** How its kernel packages ship modules: `.ko` ('none') or `.ko.xz`. */
  moduleCompression: 'none' | 'xz';
  /** Where its kernel packages put a release's modules (`<prefix>/<release>`), relative to the root. */
  modulesPrefix: 'lib/modules' | 'usr/lib/modules';
  /** Package names of one kernel release. */
  packages(release: string): DistroPackages;
  /** Where the files are, relative to the root of the unpacked packages (or of an installed system). */
  paths(release: string): DistroPaths;
  /** apt pattern (apt-cache pkgnames prefix) of the debug packages, to list releases. */
  debugPackagePrefix: string;
  /** Release from a debug package name (undefined when it is not one of this release's). */
  releaseOfDebugPackage(name: string): string | undefined;
  /**
   * Whether `--kernel RELEASE` can fetch this release's packages today. False for an entry whose
   * facts are known (its builder image, compiler, names) while its acquisition is still to come:
   * its releases are recognised and refused by name.
   */
  acquirable: boolean;
}

export interface DistroArchive {
  /** The apt suites its kernels (and their updates) are published in, e.g. bookworm, bookworm-updates, bookworm-security. */
  suites: readonly string[];
  /** Where each suite is served (a URI per suite, in the order of `suites`). */
  uris: readonly string[];
  /** The keyring that signs those suites. */
  keyring: string;
}

export interface DistroSource {
  /** The package, e.g. linux-source-6.1. */
  package: string;
  /** The tarball inside the package, relative to the root. */
  tarball: string;
  /** Top directory inside the tarball. */
  topdir: string;
}

export interface DistroToolchain {
  /** `CC --version`'s first line, as the kernels' CONFIG_CC_VERSION_TEXT records it. */
  ccVersionText: string;
  /** GNU binutils (as, ld) version, as in CONFIG_AS_VERSION/CONFIG_LD_VERSION (2.40 → 24000). */
  binutils: string;
}

export interface DistroBuilder {
  /**
   * The Debian suite the builder image is made from: `FROM debian:<suite>` (seeded with
   * debootstrap when missing). Its packages: docker/build-packages.txt (every builder) and
   * docker/build-packages.<suite>.txt (this builder's compiler).
   */
  suite: string;
  /**
   * The name of its package list, docker/build-packages.<packages>.txt: the suite's, or a
   * variant of it (trixie-rust: trixie's compiler and the Rust toolchain Linux 7's configs need).
   */
  packages: string;
}

export interface DistroPackages {
  /** The unsigned image: vmlinuz and the modules (one package, or two from Linux 7 on: binary and modules). */
  image: readonly string[];
  /** Headers: .config, Module.symvers and the Kconfig outputs. */
  headers: string;
  /** Debug symbols: vmlinux with .symtab and DWARF, System.map. */
  debug: string;
  /** Source tarball (same version as the image). */
  source: string;
}

export interface DistroPaths {
  vmlinuz: string;
  modulesDir: string;
  config: string;
  symvers: string;
  /** The top of the kernel's build tree in the headers package (its .config, Module.symvers, Kconfig outputs). */
  headersDir: string;
  debugVmlinux: string;
  systemMap: string;
  /** The debug package's module files (DWARF of each module), under kernel/. */
  debugModulesDir: string;
  /** The source tarball inside the source package. */
  sourceTarball: string;
}

/** What one Debian release's entry must say; the rest follows Debian's kernel packaging. */
interface DebianReleaseFacts {
  id: string;
  description: string;
  codename: string;
  /** Default: <codename>, <codename>-updates, <codename>-security. */
  suites?: readonly string[];
  releasePattern: RegExp;
  /** Series of its own kernels' source package (linux-source-<series>), e.g. 6.1. */
  sourceSeries: string;
  compiler: string;
  toolchain: DistroToolchain;
  /** Default: the codename. */
  builderSuite?: string;
  /** Default: the builder suite (docker/build-packages.<suite>.txt). */
  builderPackages?: string;
  moduleCompression: DistroRelease['moduleCompression'];
  modulesPrefix: DistroRelease['modulesPrefix'];
  /** Default: linux-image-<release>-unsigned. */
  imagePackages?: (release: string) => string[];
  /** Files that are not where Debian 12's packages put them. */
  pathOverrides?: (release: string) => Partial<DistroPaths>;
  debugPackagePrefix: string;
  acquirable: boolean;
}

/** The keyring of Debian's archive (debian-archive-keyring), for every Debian release. */
export const DEBIAN_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Debian's archive: every suite at deb.debian.org, but the security suites, served apart. */
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/** Where Debian serves SUITE. */
function debianSuiteUri(suite: string): string {
  return suite.endsWith('-security') ? DEBIAN_SECURITY_MIRROR : DEBIAN_MIRROR;
}

/** Debian's kernel source package of SERIES (6.1, 6.12, 7.3): linux-source-<series>, its tarball and top directory. */
function debianSource(series: string): DistroSource {
  return {
    package: `linux-source-${series}`,
    tarball: `usr/src/linux-source-${series}.tar.xz`,
    topdir: `linux-source-${series}`,
  };
}

/** The series of a Debian kernel release: its first two numbers (6.1.0-57-amd64 → 6.1, 7.3.4+deb13-amd64 → 7.3). */
export function debianSeriesOf(release: string): string | undefined {
  return /^(\d+\.\d+)[.-]/.exec(release)?.[1];
}

/** A Debian release's entry: Debian's package names and file layout around FACTS. */
function debianRelease(facts: DebianReleaseFacts): DistroRelease {
  const source = debianSource(facts.sourceSeries);
  const sourceOf = (release: string) => debianSource(debianSeriesOf(release) ?? facts.sourceSeries);
  const suites = facts.suites ?? [facts.codename, `${facts.codename}-updates`, `${facts.codename}-security`];
  return {
    id: facts.id,
    description: facts.description,
    codename: facts.codename,
    archive: { suites, uris: suites.map(debianSuiteUri), keyring: DEBIAN_ARCHIVE_KEYRING },
    releasePattern: facts.releasePattern,
    arch: 'x86_64',
    source,
    sourceOf,
    compiler: facts.compiler,
    toolchain: facts.toolchain,
    builder: {
      suite: facts.builderSuite ?? facts.codename,
      packages: facts.builderPackages ?? facts.builderSuite ?? facts.codename,
    },
    moduleCompression: facts.moduleCompression,
    modulesPrefix: facts.modulesPrefix,
    packages: (release) => ({
      image: facts.imagePackages?.(release) ?? [`linux-image-${release}-unsigned`],
      headers: `linux-headers-${release}`,
      debug: `linux-image-${release}-dbg`,
      source: sourceOf(release).package,
    }),
    paths: (release) => ({
      vmlinuz: `boot/vmlinuz-${release}`,
      modulesDir: `${facts.modulesPrefix}/${release}`,
      config: `usr/src/linux-headers-${release}/.config`,
      symvers: `usr/src/linux-headers-${release}/Module.symvers`,
      headersDir: `usr/src/linux-headers-${release}`,
      debugVmlinux: `usr/lib/debug/boot/vmlinux-${release}`,
      systemMap: `usr/lib/debug/boot/System.map-${release}`,
      debugModulesDir: `usr/lib/debug/lib/modules/${release}`,
      sourceTarball: sourceOf(release).tarball,
      ...facts.pathOverrides?.(release),
    }),
    debugPackagePrefix: facts.debugPackagePrefix,
    releaseOfDebugPackage: (name) => {
      const release = /^linux-image-(.+)-dbg$/.exec(name)?.[1];
      return release !== undefined && facts.releasePattern.test(release) ? release : undefined;
    },
    acquirable: facts.acquirable,
  };
}

export const DEBIAN_BOOKWORM: DistroRelease = debianRelease({
  id: 'debian-bookworm',
  description: 'Debian 12 (bookworm), linux-image-6.1.0-N-amd64',
  codename: 'bookworm',
  releasePattern: /^6\.1\.0-\d+-amd64$/,
  sourceSeries: '6.1',
  compiler: 'gcc-12',
  toolchain: { ccVersionText: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', binutils: '2.40' },
  moduleCompression: 'none',
  modulesPrefix: 'lib/modules',
  debugPackagePrefix: 'linux-image-6.1.0-',
  acquirable: true,
});

/**
 * Debian 13's own kernels (6.12.N+deb13-amd64, also 6.12.115+deb13.1-amd64), as measured in
 * Debian's archive (2026-12): built with trixie's gcc-14 (CONFIG_CC_VERSION_TEXT names
 * x86_64-linux-gnu-gcc-14) and binutils 2.44, with IBT and call padding; modules as .ko.xz under
 * /usr/lib/modules.
 */
export const DEBIAN_TRIXIE: DistroRelease = debianRelease({
  id: 'debian-trixie',
  description: 'Debian 13 (trixie), linux-image-6.12.N+deb13-amd64',
  codename: 'trixie',
  releasePattern: /^6\.12\.\d+\+deb13(?:\.\d+)?-amd64$/,
  sourceSeries: '6.12',
  compiler: 'x86_64-linux-gnu-gcc-14',
  toolchain: { ccVersionText: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', binutils: '2.44' },
  moduleCompression: 'xz',
  modulesPrefix: 'usr/lib/modules',
  debugPackagePrefix: 'linux-image-6.12.',
  acquirable: true,
});

/**
 * Debian 12's backports kernels (6.12.N+deb12-amd64, bookworm-backports): trixie's 6.12 rebuilt
 * with bookworm's gcc-12 and binutils 2.40 (CONFIG_CC_VERSION_TEXT "x86_64-linux-gnu-gcc-12
 * (Debian 12.2.0-14+deb12u1) 12.2.0"), so built in the bookworm builder; IBT, .ko.xz under
 * /lib/modules (bookworm's layout).
 */
export const DEBIAN_BOOKWORM_BACKPORTS: DistroRelease = debianRelease({
  id: 'debian-bookworm-backports',
  description: 'Debian 12 backports (bookworm-backports), linux-image-6.12.N+deb12-amd64',
  codename: 'bookworm',
  suites: ['bookworm-backports'],
  releasePattern: /^6\.12\.\d+\+deb12(?:\.\d+)?-amd64$/,
  sourceSeries: '6.12',
  compiler: 'x86_64-linux-gnu-gcc-12',
  toolchain: { ccVersionText: 'x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', binutils: '2.40' },
  builderSuite: 'bookworm',
  moduleCompression: 'xz',
  modulesPrefix: 'lib/modules',
  debugPackagePrefix: 'linux-image-6.12.',
  acquirable: true,
});

/**
 * Debian 13's backports kernels (7.N.M+deb13-amd64, trixie-backports; source linux-source-7.N
 * of each series): built with trixie's gcc-14 and binutils 2.44; IBT, .ko.xz. Their image is
 * split in two packages: linux-binary-unsigned-<release> (usr/lib/modules/<release>/vmlinuz.unsigned)
 * and linux-modules-<release>; the debug package has vmlinux and System.map under
 * usr/lib/debug/lib/modules/<release>.
 */
export const DEBIAN_TRIXIE_BACKPORTS: DistroRelease = debianRelease({
  id: 'debian-trixie-backports',
  description: 'Debian 13 backports (trixie-backports), linux-image-7.N.M+deb13-amd64',
  codename: 'trixie',
  suites: ['trixie-backports'],
  releasePattern: /^7\.\d+\.\d+\+deb13(?:\.\d+)?-amd64$/,
  sourceSeries: '7.3',
  compiler: 'x86_64-linux-gnu-gcc-14',
  toolchain: { ccVersionText: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', binutils: '2.44' },
  builderSuite: 'trixie',
  // CONFIG_RUST=y: rustc 1.85.1 and bindgen 0.71.1, trixie's (olddefconfig drops Rust without them).
  builderPackages: 'trixie-rust',
  moduleCompression: 'xz',
  modulesPrefix: 'usr/lib/modules',
  imagePackages: (release) => [`linux-binary-unsigned-${release}`, `linux-modules-${release}`],
  pathOverrides: (release) => ({
    vmlinuz: `usr/lib/modules/${release}/vmlinuz.unsigned`,
    debugVmlinux: `usr/lib/debug/lib/modules/${release}/vmlinux`,
    systemMap: `usr/lib/debug/lib/modules/${release}/System.map`,
  }),
  debugPackagePrefix: 'linux-image-7.',
  acquirable: true,
});

/** Every entry; a machine's own distribution release (its os-release codename) is the first of its codename. */
export const DISTRIBUTIONS: readonly DistroRelease[] = [
  DEBIAN_BOOKWORM,
  DEBIAN_TRIXIE,
  DEBIAN_BOOKWORM_BACKPORTS,
  DEBIAN_TRIXIE_BACKPORTS,
];

/** The distribution release of `--kernel newest` (the one this tool's machines run). */
export const DEFAULT_DISTRO = DEBIAN_BOOKWORM;

/** The distribution release a kernel release belongs to, if any. */
export function distroOf(release: string): DistroRelease | undefined {
  return DISTRIBUTIONS.find((d) => d.releasePattern.test(release));
}

/** The distribution release of a machine, from its /etc/os-release text (VERSION_CODENAME), if it is one of the table's. */
export function distroOfOsRelease(osRelease: string): DistroRelease | undefined {
  const codename = /^VERSION_CODENAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1]?.trim();
  return DISTRIBUTIONS.find((d) => d.codename === codename);
}

let host: DistroRelease | undefined;

/** This machine's distribution release, or DEFAULT_DISTRO when it is none of the table's. */
export function hostDistribution(): DistroRelease {
  if (!host) {
    let text = '';
    try {
      text = readFileSync('/etc/os-release', 'utf8');
    } catch {
      // not a Debian-like system: the default
    }
    host = distroOfOsRelease(text) ?? DEFAULT_DISTRO;
  }
  return host;
}

/** The distribution whose compiler identity is IDENTITY (a vmlinux .comment: "(Debian 12.2.0-14+deb12u1) 12.2.0"), if any. */
export function distroOfCompiler(identity: string): DistroRelease | undefined {
  return DISTRIBUTIONS.find((d) => d.toolchain.ccVersionText.replace(/^\S+\s+/, '') === identity.trim());
}
