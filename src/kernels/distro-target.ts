import { release as osRelease } from 'node:os';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { acquireDistroKernel } from './debian/acquire.js';
import { newestBuildableRelease } from './debian/catalog.js';
import { DEFAULT_DISTRO, DISTRIBUTIONS, distroOf } from './distributions.js';
import type { TargetKernel } from './target-kernel.js';

/**
 * A distribution's kernel release as a build target ("running": `uname -r`; "newest": the
 * newest release of the default distribution the archive can build): its packages fetched (or, for "running",
 * the files installed on this machine where they are), built with a prepared tree and the
 * compiler the distribution used.
 */
export async function distroTarget(kernel: string, log: Logger): Promise<TargetKernel> {
  const running = kernel === 'running';
  const release = running ? osRelease() : kernel === 'newest' ? await newestBuildableRelease(DEFAULT_DISTRO, log) : kernel;
  const distro = distroOf(release);
  if (!distro) {
    const known = DISTRIBUTIONS.map((d) => `${d.description} (${d.releasePattern.source})`).join('; ');
    throw new UserError(`kernel ${release}${running ? ' (the running kernel)' : ''} is not a release of a known distribution`, {
      hint: `known: ${known}; for another kernel give --sourcedir, --config, --vmlinux, --symvers and --modules-dir`,
    });
  }
  const files = await acquireDistroKernel(distro, release, { log, ...(running ? { installedRoot: '/' } : {}) });
  return {
    source: { kind: 'tarball', tarball: files.sourceTarball, topdir: distro.sourceTopdir, sha256: files.sourceIdentity },
    config: files.config,
    vmlinux: files.vmlinux,
    symvers: files.symvers,
    modulesDir: files.modulesDir,
    release,
    build: { kind: 'prepared', cc: distro.compiler, kernelRelease: release },
    vmlinuz: files.vmlinuz,
  };
}
