/**
 * The target-kernel stage: the running kernel a patch is built for (a distribution's release,
 * explicit paths, or the test kernel), its files at hand, and its config checked against the
 * config policy (a kernel a livepatch cannot be made for safely is refused, naming the option).
 */
import { readFile } from 'node:fs/promises';
import { checkKernelConfig } from '../kernel/config-policy.js';
import { resolveTarget, type TargetOptions } from '../sources/resolve-target.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import type { Logger } from '../util/log.js';

export interface TargetKernelStageOptions {
  target: TargetOptions;
  log: Logger;
  /** Told where each of the kernel's files is. */
  debug: Logger;
}

export async function targetKernelStage(options: TargetKernelStageOptions): Promise<TargetKernel> {
  const resolved = await resolveTarget(options.target, options.log);
  checkKernelConfig(await readFile(resolved.config, 'utf8'), 'running kernel');
  options.debug(
    `target kernel ${resolved.release}: config ${resolved.config}, vmlinux ${resolved.vmlinux}, symvers ${resolved.symvers}, ` +
      `modules ${resolved.modulesDir || '-'}, source ${resolved.source.kind === 'tarball' ? resolved.source.tarball : resolved.source.dir}, ` +
      `build ${resolved.build.kind === 'prepared' ? `prepared (CC=${resolved.build.cc} KERNELRELEASE=${resolved.build.kernelRelease})` : 'full'}`,
  );
  return resolved;
}
