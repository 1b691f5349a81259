import { access } from 'node:fs/promises';
import { provisionTestKernel } from './test-kernel/provision.js';
import { identifySourcePackage, SOURCE_TOPDIR } from './test-kernel/source-package.js';
import { cacheRoot } from '../util/cache.js';
import { distroTarget } from './distro-target.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { TargetKernel } from '../kernel/target-kernel.js';

export interface TargetOptions {
  /** A distribution kernel release (e.g. 6.1.0-57-amd64), or "running" for `uname -r`. */
  kernel?: string;
  sourcedir?: string;
  config?: string;
  vmlinux?: string;
  symvers?: string;
  modulesDir?: string;
}

async function mustExist(path: string, what: string): Promise<string> {
  await access(path).catch(() => {
    throw new UserError(`${what} ${path} does not exist`);
  });
  return path;
}

/** The built-in default: the test kernel, provisioned (built) when needed. */
export async function defaultTarget(log: Logger): Promise<TargetKernel> {
  const kernel = await provisionTestKernel({ log });
  const pkg = await identifySourcePackage(`${cacheRoot()}/test-kernel`);
  return {
    source: { kind: 'tarball', tarball: pkg.tarball, topdir: SOURCE_TOPDIR, sha256: pkg.sha256 },
    config: kernel.config,
    vmlinux: kernel.vmlinux,
    symvers: kernel.moduleSymvers,
    modulesDir: kernel.modulesDir,
    release: kernel.release,
    // Prepared as Debian's kernels are: only the objects a patch needs are compiled, with the
    // compiler the test kernel was built with (plain `gcc`) and its release string.
    build: { kind: 'prepared', cc: 'gcc', kernelRelease: kernel.release },
    vmlinuz: kernel.bzImage,
    signKey: `${kernel.source}/certs/signing_key.pem`,
    signCert: `${kernel.source}/certs/signing_key.x509`,
  };
}

/** The target described by the command line, or the default when no kernel option is given. */
export async function resolveTarget(options: TargetOptions, log: Logger): Promise<TargetKernel> {
  if (options.kernel) {
    if ([options.sourcedir, options.config, options.vmlinux, options.symvers, options.modulesDir].some(Boolean)) {
      throw new UserError(
        '--kernel and the explicit kernel options (--sourcedir --config --vmlinux --symvers --modules-dir) exclude each other',
      );
    }
    return distroTarget(options.kernel, log);
  }
  const given = [options.sourcedir, options.config, options.vmlinux, options.symvers].filter(Boolean).length;
  if (given === 0 && !options.modulesDir) return defaultTarget(log);
  if (given < 4) {
    throw new UserError(
      '--sourcedir, --config, --vmlinux and --symvers describe one kernel: give all four (or none, for the built-in test kernel)',
    );
  }
  const release = (options.modulesDir ?? '').split('/').filter(Boolean).pop() ?? '';
  return {
    source: { kind: 'dir', dir: await mustExist(options.sourcedir!, 'source directory') },
    config: await mustExist(options.config!, 'config'),
    vmlinux: await mustExist(options.vmlinux!, 'vmlinux'),
    symvers: await mustExist(options.symvers!, 'Module.symvers'),
    modulesDir: options.modulesDir ? await mustExist(options.modulesDir, 'modules directory') : '',
    release,
    build: { kind: 'full' },
  };
}
