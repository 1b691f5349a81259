/**
 * The test kernel's configuration, applied on top of `make tinyconfig`: the smallest kernel
 * that boots to a shell over serial under qemu, supports livepatch with reliable stack traces,
 * and has the special sections a distribution kernel has. Every option is checked after
 * `olddefconfig`, because Kconfig silently drops options whose dependencies fail.
 */
import type { KconfigOption } from '../../kernel/kconfig.js';

const y = (why: string, ...names: string[]): KconfigOption[] => names.map((name) => ({ name, value: 'y', why }));
const n = (why: string, ...names: string[]): KconfigOption[] => names.map((name) => ({ name, value: 'n', why }));

export const TEST_KERNEL_OPTIONS: readonly KconfigOption[] = [
  ...y('x86_64 (tinyconfig is 32-bit otherwise)', '64BIT'),
  ...y('boot to a shell over serial',
    'PRINTK', 'BUG', 'MULTIUSER', 'FUTEX', 'EPOLL', 'POSIX_TIMERS', 'TTY', 'SERIAL_8250',
    'SERIAL_8250_CONSOLE', 'BLK_DEV_INITRD', 'RD_GZIP', 'BINFMT_ELF', 'BINFMT_SCRIPT', 'DEVTMPFS',
    'DEVTMPFS_MOUNT', 'PROC_FS', 'SYSFS', 'SHMEM', 'TMPFS', 'PRINTK_TIME'),
  ...y('loadable modules', 'MODULES', 'MODULE_UNLOAD'),
  ...n('every symbol must stay exported for patch modules', 'TRIM_UNUSED_KSYMS'),
  ...y('livepatch with reliable stack traces',
    'DEBUG_KERNEL', 'KALLSYMS', 'KALLSYMS_ALL', 'FTRACE', 'FUNCTION_TRACER', 'DYNAMIC_FTRACE',
    'UNWINDER_ORC', 'LIVEPATCH'),
  ...y('DWARF for symbol and struct facts', 'DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT'),
  ...n('full, uncompressed DWARF in vmlinux',
    'DEBUG_INFO_REDUCED', 'DEBUG_INFO_SPLIT', 'DEBUG_INFO_COMPRESSED', 'DEBUG_INFO_BTF'),
  ...y('the special sections of a distribution kernel',
    'SMP', 'HYPERVISOR_GUEST', 'PARAVIRT', 'KVM_GUEST', 'RELOCATABLE', 'RANDOMIZE_BASE',
    'CPU_MITIGATIONS', 'PAGE_TABLE_ISOLATION', 'RETPOLINE', 'RETHUNK', 'CPU_UNRET_ENTRY',
    'CPU_IBPB_ENTRY', 'CPU_IBRS_ENTRY', 'SLS', 'JUMP_LABEL', 'STACKPROTECTOR',
    'STACKPROTECTOR_STRONG', 'MODVERSIONS', 'HARDENED_USERCOPY', 'FORTIFY_SOURCE'),
  ...y('SLUB, as distributions use (HARDENED_USERCOPY needs SLAB or SLUB; tinyconfig picks SLOB)', 'SLUB'),
  ...n('not the tiny allocator', 'SLOB'),
  ...y('signed modules (a key is generated at build time)', 'MODULE_SIG', 'MODULE_SIG_SHA256', 'MODULE_SIG_ALL'),
  ...y('loadable-module patch targets (samples/livepatch)', 'SAMPLES'),
  { name: 'SAMPLE_LIVEPATCH', value: 'm', why: 'livepatch-sample.ko and the target modules' },
];
