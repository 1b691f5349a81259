/** MODULE_ARCH_VERMAGIC of x86_64 (arch/x86/include/asm/module.h): no processor family. */
export const ARCH_VERMAGIC = '';
