import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Flags close to what Kbuild passes for an x86_64 kernel object with livepatch support. */
export const KERNEL_CFLAGS = [
  '-O2',
  '-ffunction-sections',
  '-fdata-sections',
  '-mfentry',
  '-pg',
  '-mrecord-mcount',
  '-fno-pic',
  '-mcmodel=kernel',
  '-mno-red-zone',
  '-fno-common',
  '-fno-strict-aliasing',
  '-fno-asynchronous-unwind-tables',
  '-fstack-protector-strong',
  '-mno-sse',
  '-mno-mmx',
  '-mno-80387',
  '-ffreestanding',
  '-fno-delete-null-pointer-checks',
  // Not the kernel's thunk-extern: gcc then emits __x86_return_thunk itself, in a COMDAT group.
  '-mfunction-return=thunk',
  '-g0',
];

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A temporary directory removed by `cleanup()`. */
export async function tempDir(): Promise<DirectoryResult> {
  return dir({ unsafeCleanup: true, prefix: 'tsbuild-patch-elf-' });
}

/**
 * Compiles fixtures/<name> with gcc (C) or g++ (C++) and kernel flags (plus `extraFlags`)
 * to <outDir>/<outName> (default <name>.o).
 */
export async function compileFixture(
  name: string,
  outDir: string,
  extraFlags: string[] = [],
  outName = `${name}.o`,
): Promise<string> {
  const output = join(outDir, outName);
  const compiler = name.endsWith('.cc') ? 'g++' : 'gcc';
  const languageFlags = compiler === 'g++' ? ['-fno-exceptions', '-fno-rtti'] : [];
  await execa(compiler, [...KERNEL_CFLAGS, ...languageFlags, ...extraFlags, '-c', join(FIXTURES, name), '-o', output]);
  return output;
}
