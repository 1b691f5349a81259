/**
 * Distribution facts, in one place: how a distribution names its kernel releases and packages,
 * where each file sits inside them, and which compiler built them. A second distribution
 * release (Debian 13, Ubuntu) is a new entry here, not new code elsewhere.
 */
export interface DistroRelease {
  /** Short id used in cache paths and messages, e.g. "debian-bookworm". */
  id: string;
  description: string;
  /** Kernel releases of this distribution release, e.g. 6.1.0-57-amd64. */
  releasePattern: RegExp;
  /** Architecture of the kernels (the tool's arch folder: src/arch/<arch>). */
  arch: 'x86_64';
  /** The compiler that builds the kernel, as kbuild's CC (its `--version` names the kernel's). */
  compiler: string;
  /** Package names of one kernel release. */
  packages(release: string): DistroPackages;
  /** Where the files are, relative to the root of the unpacked packages (or of an installed system). */
  paths(release: string): DistroPaths;
  /** Top directory inside the source tarball. */
  sourceTopdir: string;
  /** apt pattern (apt-cache pkgnames prefix) of the debug packages, to list releases. */
  debugPackagePrefix: string;
  /** Release from a debug package name (undefined when it is not one of this release's). */
  releaseOfDebugPackage(name: string): string | undefined;
}

export interface DistroPackages {
  /** Unsigned image: vmlinuz, modules. */
  image: string;
  /** Headers: .config and Module.symvers. */
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
  debugVmlinux: string;
  systemMap: string;
  /** The source tarball inside the source package. */
  sourceTarball: string;
}

export const DEBIAN_BOOKWORM: DistroRelease = {
  id: 'debian-bookworm',
  description: "Debian 12 (bookworm), linux-image-6.1.0-N-amd64",
  releasePattern: /^6\.1\.0-\d+-amd64$/,
  arch: 'x86_64',
  compiler: 'gcc-12',
  packages: (release) => ({
    image: `linux-image-${release}-unsigned`,
    headers: `linux-headers-${release}`,
    debug: `linux-image-${release}-dbg`,
    source: 'linux-source-6.1',
  }),
  paths: (release) => ({
    vmlinuz: `boot/vmlinuz-${release}`,
    modulesDir: `lib/modules/${release}`,
    config: `usr/src/linux-headers-${release}/.config`,
    symvers: `usr/src/linux-headers-${release}/Module.symvers`,
    debugVmlinux: `usr/lib/debug/boot/vmlinux-${release}`,
    systemMap: `usr/lib/debug/boot/System.map-${release}`,
    sourceTarball: 'usr/src/linux-source-6.1.tar.xz',
  }),
  sourceTopdir: 'linux-source-6.1',
  debugPackagePrefix: 'linux-image-6.1.0-',
  releaseOfDebugPackage: (name) => /^linux-image-(6\.1\.0-\d+-amd64)-dbg$/.exec(name)?.[1],
};

export const DISTRIBUTIONS: readonly DistroRelease[] = [DEBIAN_BOOKWORM];

/** The distribution release of `--kernel newest` (the one this tool's machines run). */
export const DEFAULT_DISTRO = DEBIAN_BOOKWORM;

/** The distribution release a kernel release belongs to, if any. */
export function distroOf(release: string): DistroRelease | undefined {
  return DISTRIBUTIONS.find((d) => d.releasePattern.test(release));
}
