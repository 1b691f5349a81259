import { parseKconfig } from './kconfig.js';

/**
 * Options under which kbuild defers objtool from each object to the linked result (vmlinux.o,
 * and every multi-object module such as a livepatch): `delay-objtool` in scripts/Makefile.lib
 * (Linux 6.2 on: LTO_CLANG or X86_KERNEL_IBT; 6.19 on also KLP_BUILD). Objects that are
 * modules on their own (a single-file obj-m) are still processed when compiled.
 */
export const OBJTOOL_ON_LINK_OPTIONS = ['LTO_CLANG', 'X86_KERNEL_IBT', 'KLP_BUILD'] as const;

/** Whether kbuild runs objtool on a linked module of the kernel whose .config is CONFIGTEXT. */
export function objtoolRunsOnLinkedModules(configText: string): boolean {
  const config = parseKconfig(configText);
  return OBJTOOL_ON_LINK_OPTIONS.some((name) => config.get(name) === 'y');
}
