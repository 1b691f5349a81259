/**
 * Debian 12 kernel releases the kernel tests build for and boot: a recent ABI and an older one
 * (both with source, headers, debug info and unsigned image in the archive, see
 * shared/notes/debian-kernel.md). Pinned, so a CI cache stays warm across runs.
 */
export const DEBIAN_RELEASES = ['6.1.0-57-amd64', '6.1.0-50-amd64'] as const;
