import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { hostDistribution, type DistroRelease } from '../kernel/distributions.js';

/** The one list of a kernel build's Debian packages on every distribution release (the builder image and install-deps read it too). */
export const BUILD_PACKAGES_FILE = fileURLToPath(new URL('../../docker/build-packages.txt', import.meta.url));

/** The list of what DISTRO's builder needs beyond BUILD_PACKAGES_FILE (its compiler): build-packages.<suite>.txt beside it. */
export function distroPackagesFile(distro: DistroRelease): string {
  return join(dirname(BUILD_PACKAGES_FILE), `build-packages.${distro.builder.packages}.txt`);
}

/** The package names of a list in BUILD_PACKAGES_FILE's format: one a line, '#' comments. */
export function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}

/** Debian packages needed to build DISTRO's kernels and their modules: the common list and DISTRO's own. */
export function kernelBuildPackages(distro: DistroRelease): string[] {
  return [BUILD_PACKAGES_FILE, distroPackagesFile(distro)].flatMap((file) =>
    parsePackageList(readFileSync(file, 'utf8')),
  );
}

/** Debian packages needed to build a kernel and its modules on this machine (its distribution release's). */
export const KERNEL_BUILD_PACKAGES: readonly string[] = kernelBuildPackages(hostDistribution());

/** Debian packages needed to boot a kernel for tests. */
export const VM_PACKAGES = ['qemu-system-x86', 'busybox-static'] as const;

async function missingPackages(names: readonly string[]): Promise<string[]> {
  const result = await execa('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], {
    reject: false,
  });
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0]),
  );
  return names.filter((name) => !installed.has(name));
}

/**
 * Make sure the given Debian packages are installed: install the missing ones when running as
 * root, otherwise fail naming them.
 */
export async function ensurePackages(names: readonly string[], log: Logger): Promise<void> {
  const dpkg = await execa('dpkg-query', ['--version'], { reject: false });
  if (dpkg.failed) {
    throw new UserError(`cannot check for packages ${names.join(' ')}: dpkg-query is not available`, {
      hint: 'this tool expects a Debian-based system; install the packages by hand',
    });
  }
  const missing = await missingPackages(names);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new UserError(`missing Debian packages: ${missing.join(' ')}`, {
      hint: `run: sudo apt-get install -y ${missing.join(' ')}`,
    });
  }
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  let install = await execa('apt-get', ['install', '-y', '-q', ...missing], { env, reject: false, all: true });
  if (install.failed) {
    await execa('apt-get', ['update', '-q'], { env, reject: false });
    install = await execa('apt-get', ['install', '-y', '-q', ...missing], { env, reject: false, all: true });
  }
  if (install.failed) {
    const tail = String(install.all ?? '')
      .split('\n')
      .slice(-15)
      .join('\n');
    throw new UserError(`could not install ${missing.join(' ')} with apt-get:\n${tail}`);
  }
  const still = await missingPackages(missing);
  if (still.length > 0) throw new UserError(`apt-get did not install: ${still.join(' ')}`);
}
