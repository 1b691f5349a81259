/**
 * Compile small C sources the way the kernel compiles its objects (gcc, per-function and
 * per-data sections, fentry calls), for differ tests on real objects.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { diffObjects, type DiffOptions, type DiffResult } from '../../../src/diff/diff-objects.js';
import type { LineNumbers } from '../../../src/diff/line-drift.js';

export const KERNEL_LIKE_FLAGS = [
  '-O2',
  '-ffunction-sections',
  '-fdata-sections',
  '-mfentry',
  '-pg',
  '-mrecord-mcount',
  '-fno-pic',
  '-mcmodel=kernel',
  '-mno-red-zone',
  '-fno-asynchronous-unwind-tables',
];

const INCLUDES = [
  resolve(import.meta.dirname, 'fixtures/include'),
  resolve(import.meta.dirname, '../../../kmod-template/include'),
];

export async function compileC(
  directory: string,
  name: string,
  source: string,
  extraFlags: readonly string[] = [],
): Promise<string> {
  const c = join(directory, `${name}.c`);
  const object = join(directory, `${name}.o`);
  await writeFile(c, source);
  await execa('gcc', [
    ...KERNEL_LIKE_FLAGS,
    ...extraFlags,
    ...INCLUDES.map((include) => `-I${include}`),
    '-c',
    c,
    '-o',
    object,
  ]);
  return object;
}

export interface CompiledPair {
  original: string;
  patched: string;
  directory: string;
  /**
   * How the differ reads the pair's line numbers: `kept`, the differ's own way in the tool's
   * pipeline (no guess). The sources are compiled as the test gives them, so a line shifted in
   * them is a change the test made; a test of the guess asks for `guessed` itself.
   */
  lineNumbers: LineNumbers;
}

/** Compile an original and a patched version of one source file. */
export async function compilePair(
  workdir: DirectoryResult,
  name: string,
  original: string,
  patched: string,
  extraFlags: readonly string[] = [],
): Promise<CompiledPair> {
  const directory = join(workdir.path, name);
  await execa('mkdir', ['-p', directory]);
  return {
    original: await compileC(directory, 'orig', original, extraFlags),
    patched: await compileC(directory, 'patched', patched, extraFlags),
    directory,
    lineNumbers: 'kept',
  };
}

export async function diffSources(
  workdir: DirectoryResult,
  name: string,
  original: string,
  patched: string,
  options: Partial<Omit<DiffOptions, 'original' | 'patched'>> = {},
): Promise<DiffResult & { pair: CompiledPair }> {
  const pair = await compilePair(workdir, name, original, patched);
  const diffed = diffObjects({
    original: pair.original,
    patched: pair.patched,
    lineNumbers: pair.lineNumbers,
    ...options,
  });
  return { ...diffed, pair };
}

export async function workDirectory(): Promise<DirectoryResult> {
  return dir({ unsafeCleanup: true, prefix: 'diff-test-' });
}
