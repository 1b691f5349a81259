import { stat } from 'node:fs/promises';
import { distroBootFiles } from '../sources/distro-target.js';
import { provisionTestKernel } from '../sources/test-kernel/provision.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { KernelModules } from '../kernel/kernel-modules.js';
import { moduleNameOf } from '../kernel/module-name.js';
import { modulesNeededFirst } from './modules-needed-first.js';
import { VM_MEMORY_MIB } from './memory.js';

/** A kernel to boot in the VM, and where its own modules are (for livepatches of modules). */
export interface BootTarget {
  image: string;
  modulesDir: string | undefined;
  /** A distribution kernel with thousands of modules wants more memory than the test kernel. */
  memoryMiB: number;
}

/**
 * --kernel of vm-test: nothing (the test kernel), a bootable image file, or a kernel release (of
 * which only the image package is fetched: vmlinuz and modules).
 */
export async function bootTarget(kernel: string | undefined, log: Logger): Promise<BootTarget> {
  if (kernel === undefined) {
    const test = await provisionTestKernel({ log });
    return { image: test.bzImage, modulesDir: test.modulesDir, memoryMiB: VM_MEMORY_MIB.testKernel };
  }
  if ((await stat(kernel).catch(() => undefined))?.isFile())
    return { image: kernel, modulesDir: undefined, memoryMiB: VM_MEMORY_MIB.distributionKernel };
  const target = await distroBootFiles(kernel, log);
  return { image: target.vmlinuz, modulesDir: target.modulesDir, memoryMiB: VM_MEMORY_MIB.distributionKernel };
}

/**
 * The kernel a module was just built for (--vm-test): its image, or the test kernel's when the
 * build had none (explicit kernel paths), and its modules.
 */
export async function builtKernelBootTarget(
  kernel: { image?: string | undefined; modulesDir?: string | undefined; distribution: boolean },
  log: Logger,
): Promise<BootTarget> {
  return {
    image: kernel.image ?? (await provisionTestKernel({ log })).bzImage,
    modulesDir: kernel.modulesDir,
    memoryMiB: kernel.distribution ? VM_MEMORY_MIB.distributionKernel : VM_MEMORY_MIB.testKernel,
  };
}

/**
 * The modules to put in the guest, in load order: the kernel's own modules each given module
 * needs first (the modules a livepatch patches, those whose exports it uses) and what they
 * depend on come first.
 */
export async function guestModules(modules: readonly string[], modulesDir: string | undefined): Promise<string[]> {
  const targets = new Set<string>();
  for (const module of modules) {
    // A module whose needs cannot be read would reach the guest without the modules it patches
    // or uses, and a VM proof could pass without ever loading it against its target.
    const needed = await modulesNeededFirst(module).catch((error: Error) => {
      throw new UserError(`${module}: cannot tell which modules it needs loaded first: ${error.message}`, {
        cause: error,
      });
    });
    for (const name of needed) targets.add(name);
  }
  if (targets.size === 0 || !modulesDir) return [...modules];
  const given = new Set(modules.map(moduleNameOf));
  const needed = [...targets].filter((t) => !given.has(t));
  const kernelModules = await KernelModules.read(modulesDir);
  return [...(await kernelModules.withDependencies(needed)), ...modules];
}
