/** The kernel a patch is built for: its files, as every layer above this one sees them. */
/** Where the kernel source comes from: Debian's tarball, or a directory of the user's (never modified). */
export type KernelSource =
  { kind: 'tarball'; tarball: string; topdir: string; sha256: string } | { kind: 'dir'; dir: string };

/** The running kernel a patch is built for, and the source and config it was built from. */
export interface TargetKernel {
  source: KernelSource;
  config: string;
  vmlinux: string;
  /**
   * The DWARF compile units of each of its modules (module-units.json, kernel/facts/module-units.ts),
   * when its debug modules were read; without it only vmlinux's units are known.
   */
  moduleUnits?: string;
  /**
   * Read the modules' compile units when they are not yet (a distribution kernel: from its debug
   * package, minutes, once per release); absent when there is no such source.
   */
  readModuleUnits?: () => Promise<string | undefined>;
  symvers: string;
  /**
   * A directory holding the kernel build's own Kconfig outputs (KCONFIG_OUTPUTS, kernel/kconfig.ts)
   * for its config, as a distribution's headers package ships them; absent when unknown.
   */
  kconfigOutputsDir?: string;
  /** /lib/modules/<release> of the running kernel (its modules, for module targets). */
  modulesDir: string;
  release: string;
  /**
   * How the objects are built: 'full' builds the whole tree once (a user's tree); 'prepared'
   * only prepares the tree and builds the objects a patch needs, with the compiler and release
   * string of the kernel (a distribution kernel, the test kernel).
   */
  build: { kind: 'full' } | { kind: 'prepared'; cc: string; kernelRelease: string };
  /** The bootable image, when known (for --vm-test). */
  vmlinuz?: string;
  /** Module signing key and certificate, when known. */
  signKey?: string;
  signCert?: string;
}
