import { release as osRelease } from 'node:os';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import {
  acquireDistroBootFiles,
  acquireDistroKernel,
  type AcquireOptions,
  type DistroBootFiles,
} from './debian/acquire.js';
import { newestBuildableRelease } from './debian/catalog.js';
import { DISTRIBUTIONS, distroOf, hostDistribution, type DistroRelease } from '../kernel/distributions.js';
import type { TargetKernel } from '../kernel/target-kernel.js';

/**
 * KERNEL as a release of a known distribution ("running": `uname -r`; "newest": the newest
 * release the archive can build of this machine's distribution release, Debian 12 elsewhere), and how to acquire its files
 * ("running": the files installed on this machine where they are).
 */
async function distroRelease(
  kernel: string,
  log: Logger,
): Promise<{ distro: DistroRelease; release: string; acquire: AcquireOptions }> {
  const running = kernel === 'running';
  const release = running
    ? osRelease()
    : kernel === 'newest'
      ? await newestBuildableRelease(hostDistribution(), log)
      : kernel;
  const distro = distroOf(release);
  if (!distro) {
    const known = DISTRIBUTIONS.map((d) => `${d.description} (${d.releasePattern.source})`).join('; ');
    throw new UserError(
      `kernel ${release}${running ? ' (the running kernel)' : ''} is not a release of a known distribution`,
      {
        hint: `known: ${known}; for another kernel give --sourcedir, --config, --vmlinux, --symvers and --modules-dir`,
      },
    );
  }
  if (!distro.acquirable) {
    throw new UserError(
      `kernel ${release} is a release of ${distro.description}, whose packages this version cannot fetch yet`,
      {
        hint: `releases that can be fetched: ${DISTRIBUTIONS.filter((d) => d.acquirable)
          .map((d) => d.description)
          .join('; ')}`,
      },
    );
  }
  return { distro, release, acquire: { log, ...(running ? { installedRoot: '/' } : {}) } };
}

/**
 * A distribution's kernel release as a build target (see distroRelease): its packages fetched
 * (or, for "running", the files installed on this machine where they are), built with a
 * prepared tree and the compiler the distribution used.
 */
export async function distroTarget(kernel: string, log: Logger): Promise<TargetKernel> {
  const { distro, release, acquire } = await distroRelease(kernel, log);
  const files = await acquireDistroKernel(distro, release, acquire);
  return {
    source: {
      kind: 'tarball',
      tarball: files.sourceTarball,
      topdir: distro.sourceOf(release).topdir,
      sha256: files.sourceIdentity,
    },
    config: files.config,
    vmlinux: files.vmlinux,
    ...(files.moduleUnits ? { moduleUnits: files.moduleUnits } : { readModuleUnits: files.readModuleUnits }),
    symvers: files.symvers,
    ...(files.kconfigOutputsDir ? { kconfigOutputsDir: files.kconfigOutputsDir } : {}),
    modulesDir: files.modulesDir,
    release,
    build: { kind: 'prepared', cc: distro.compiler, kernelRelease: release },
    vmlinuz: files.vmlinuz,
  };
}

/** A distribution's kernel release to boot (see distroRelease): only its image package (vmlinuz and modules). */
export async function distroBootFiles(kernel: string, log: Logger): Promise<DistroBootFiles> {
  const { distro, release, acquire } = await distroRelease(kernel, log);
  return acquireDistroBootFiles(distro, release, acquire);
}
