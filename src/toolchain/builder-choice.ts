import { distroOf, distroOfCompiler, hostDistribution, type DistroRelease } from '../kernel/distributions.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import type { Runner } from './runner.js';
import { kernelCompiler } from './toolchain-match.js';

/** The distribution release whose builder builds a kernel, and why. */
export interface BuilderChoice {
  distro: DistroRelease;
  reason: string;
}

/**
 * Which distribution release's builder (its builder image, its compiler) builds a kernel: the
 * release's own distribution for a distribution kernel (6.1.0-57-amd64: Debian 12); otherwise
 * the distribution whose compiler built it (COMPILER: its vmlinux .comment, e.g. the test kernel
 * or a --sourcedir kernel); otherwise HOST's. The choice never decides whether the build may
 * run: the compiler where it runs is checked against the kernel's own (checkToolchain).
 */
export function chooseBuilder(
  kernel: { release: string; compiler?: string | undefined },
  host: DistroRelease = hostDistribution(),
): BuilderChoice {
  const byRelease = distroOf(kernel.release);
  if (byRelease) return { distro: byRelease, reason: `${kernel.release} is a release of ${byRelease.description}` };
  const byCompiler = kernel.compiler === undefined ? undefined : distroOfCompiler(kernel.compiler);
  if (byCompiler)
    return {
      distro: byCompiler,
      reason: `${kernel.release || 'the kernel'} was built with "${kernel.compiler}", the compiler of ${byCompiler.description}`,
    };
  return {
    distro: host,
    reason: `${kernel.release || 'the kernel'} is of no known distribution release${kernel.compiler ? ` and was built with "${kernel.compiler}"` : ''}: this host's (${host.description})`,
  };
}

/**
 * The runner that builds TARGET: RUNNER itself when it has the same tools for every kernel (the
 * host), else RUNNER's engine on the builder image of the distribution release chooseBuilder
 * picks for TARGET.
 */
export async function runnerForTarget(runner: Runner, target: TargetKernel, host?: DistroRelease): Promise<Runner> {
  if (!runner.forDistribution) return runner;
  const compiler = distroOf(target.release) ? undefined : await kernelCompiler(target.vmlinux).catch(() => undefined);
  return runner.forDistribution(chooseBuilder({ release: target.release, compiler }, host).distro);
}
