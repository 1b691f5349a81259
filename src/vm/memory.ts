/** The memory of a VM, per kind of kernel it boots: the one home of these sizes (MiB). */
export const VM_MEMORY_MIB = {
  /** The test kernel: a minimal configuration and few modules (also runInVm's default). */
  testKernel: 512,
  /** A distribution kernel, or an image file given by path: thousands of modules want more. */
  distributionKernel: 1024,
  /** The system VM of the tests (test/support/system-vm/): a distribution kernel under a whole Debian with systemd and apt. */
  systemVm: 2048,
} as const;
