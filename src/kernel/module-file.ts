/**
 * A kernel module file as a kernel package ships it: a plain ELF `.ko`, or a `.ko.xz` (a kernel
 * built with CONFIG_MODULE_COMPRESS_XZ; Debian 13's packages, DistroRelease.moduleCompression
 * 'xz'). The file's suffix says which. Whatever reads the ELF of a kernel's module gets it here:
 * the bytes in memory, or a path to a decompressed copy in the cache for readers that want a
 * file. `xz -dc` decompresses (xz-utils); many files are decompressed a batch per xz process,
 * since thousands of modules (an alias index) one process each would take minutes.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa, execaSync, type Result, type SyncResult } from 'execa';
import { parseElf, readElf, readElfSync, type ElfFile } from '../elf/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { cacheRoot } from '../util/cache.js';
import { CACHE_FORMATS } from '../util/cache-formats.js';
import { UserError } from '../util/errors.js';
import { sha256, sha256File } from '../util/hash.js';

const MODULE_FILE = /\.ko(\.xz)?$/;
const COMPRESSED = /\.ko\.xz$/;

/** Files listed by one `xz --list`. */
const LIST_FILES = 256;
/** Output of one `xz -dc` of several files (a bigger module is decompressed alone). */
const BATCH_BYTES = 64 * 1024 * 1024;
/** Output of any one xz process (the biggest module of a distribution is some tens of MiB). */
const MAX_BYTES = 1024 * 1024 * 1024;

/** Whether FILE is named as a kernel module: `.ko` or `.ko.xz`. */
export const isModuleFile = (file: string): boolean => MODULE_FILE.test(file);

/** Whether FILE is a compressed module (`.ko.xz`). */
export const isCompressedModule = (file: string): boolean => COMPRESSED.test(file);

/** The path of the module's plain ELF: dir/vfat.ko.xz → dir/vfat.ko; any other path as it is. */
export const plainModulePath = (file: string): string => file.replace(COMPRESSED, '.ko');

/** Where decompressed copies are kept: <cacheRoot>/kernel-facts/modules/<key>/<name>.ko. */
export function plainModuleCacheDir(): string {
  return join(cacheRoot(), 'kernel-facts', 'modules');
}

const xzOptions = { encoding: 'buffer', stripFinalNewline: false, reject: false, maxBuffer: MAX_BYTES } as const;

/** A view of the bytes xz wrote (no copy). */
const bufferOf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const text = (bytes: Uint8Array) => bufferOf(bytes).toString('utf8').trim();
const isFile = (path: string) =>
  stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );

/** The error of an xz run on FILES that failed: xz missing, or (one file) what xz said of it. */
function xzError(files: readonly string[], result: Result | SyncResult): UserError {
  if (result.exitCode === undefined)
    return new UserError(`cannot run xz to decompress the kernel module ${files.join(', ')}: ${result.shortMessage}`, {
      cause: result,
      hint: 'apt-get install xz-utils',
    });
  const said = text(result.stderr as Uint8Array) || `exit status ${result.exitCode}`;
  return new UserError(`cannot decompress the kernel module ${files.join(', ')}: ${said}`, {
    cause: result,
    hint: 'the .ko.xz is damaged or not xz data: unpack the kernel package again',
  });
}

async function decompress(file: string): Promise<Buffer> {
  const result = await execa('xz', ['-dc', '--', file], xzOptions);
  if (result.failed) throw xzError([file], result);
  return bufferOf(result.stdout);
}

/** The plain ELF bytes of module FILE (`.ko` as it is, `.ko.xz` decompressed). */
export async function readModuleFile(file: string): Promise<Buffer> {
  if (!isCompressedModule(file)) return readFile(file);
  return decompress(file);
}

/** The ELF of module FILE, `.ko` or `.ko.xz` (errors name FILE). */
export async function readModuleElf(file: string): Promise<ElfFile> {
  return isCompressedModule(file) ? parseElf(await decompress(file), file) : readElf(file);
}

/** readModuleElf for callers that cannot await. */
export function readModuleElfSync(file: string): ElfFile {
  if (!isCompressedModule(file)) return readElfSync(file);
  const result = execaSync('xz', ['-dc', '--', file], xzOptions);
  if (result.failed) throw xzError([file], result);
  return parseElf(bufferOf(result.stdout), file);
}

/**
 * A path to the plain ELF of module FILE, named as the module (`<name>.ko`): FILE itself, or for
 * a `.ko.xz` its decompressed copy under CACHEDIR, keyed by the compressed file's sha256 (a
 * changed file never meets the copy of its old content) and written atomically.
 */
export async function moduleElfPath(file: string, cacheDir = plainModuleCacheDir()): Promise<string> {
  if (!isCompressedModule(file)) return file;
  const content = await sha256File(file).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read the kernel module ${file}: ${error.code ?? error.message}`, { cause: error });
  });
  const key = sha256(`plain-module ${CACHE_FORMATS.plainModules} ${content}`);
  const path = join(cacheDir, key, basename(plainModulePath(file)));
  if (await isFile(path)) return path;
  await writeFileAtomic(path, await decompress(file));
  return path;
}

/** The uncompressed size of each of FILES (`.ko.xz`), from the index of the xz files. */
async function uncompressedSizes(files: readonly string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (let start = 0; start < files.length; start += LIST_FILES) {
    const group = files.slice(start, start + LIST_FILES);
    const result = await execa('xz', ['--robot', '--list', '--', ...group], xzOptions);
    const listed = text(result.stdout as Uint8Array)
      .split('\n')
      .filter((line) => line.startsWith('file\t'))
      .map((line) => Number(line.split('\t')[4]));
    if (result.failed || listed.length !== group.length || listed.some((size) => !Number.isSafeInteger(size)))
      throw await culprit(group, result);
    sizes.push(...listed);
  }
  return sizes;
}

/** The error that names which of FILES xz cannot decompress (each tried alone). */
async function culprit(files: readonly string[], result: Result): Promise<UserError> {
  if (result.exitCode === undefined) return xzError(files, result);
  for (const file of files) await decompress(file);
  return new UserError(`xz failed on the kernel modules ${files.join(', ')}: ${text(result.stderr as Uint8Array)}`, {
    cause: result,
  });
}

/** The plain bytes of compressed FILES (their sizes SIZES), one xz process. */
async function decompressBatch(files: readonly string[], sizes: readonly number[]): Promise<Buffer[]> {
  if (files.length === 0) return [];
  const total = sizes.reduce((a, b) => a + b, 0);
  const result = await execa('xz', ['-dc', '--', ...files], { ...xzOptions, maxBuffer: total + 1 });
  const out = bufferOf(result.stdout as Uint8Array);
  if (result.failed || out.length !== total) throw await culprit(files, result);
  let at = 0;
  return sizes.map((size) => out.subarray(at, (at += size)));
}

/** FILES cut into runs of consecutive files whose compressed ones decompress to at most about BATCH_BYTES. */
function runsOf(files: readonly string[], sizes: ReadonlyMap<string, number>): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = sizes.get(file) ?? 0;
    if (run.length > 0 && (bytes + size > BATCH_BYTES || run.length >= LIST_FILES)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(file);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The plain bytes of each of FILES in order, `undefined` for a plain `.ko` (the caller reads it
 * its own way). One run is decompressed while the one before is used: at most two runs, about
 * 2 * BATCH_BYTES, are held at a time.
 */
async function* plainContents(files: readonly string[]): AsyncGenerator<{ file: string; bytes: Buffer | undefined }> {
  const compressed = [...new Set(files.filter(isCompressedModule))];
  const listed = await uncompressedSizes(compressed);
  const sizes = new Map(compressed.map((file, i) => [file, listed[i]!]));
  const start = (run: readonly string[]) => {
    const batch = [...new Set(run.filter(isCompressedModule))];
    const decompressed = decompressBatch(
      batch,
      batch.map((file) => sizes.get(file)!),
    ).then((bytes) => new Map(batch.map((file, i) => [file, bytes[i]!])));
    decompressed.catch(() => undefined); // awaited below, unless the caller stops first
    return decompressed;
  };
  const runs = runsOf(files, sizes);
  let next = runs.length > 0 ? start(runs[0]!) : undefined;
  for (const [i, run] of runs.entries()) {
    const current = await next!;
    next = i + 1 < runs.length ? start(runs[i + 1]!) : undefined;
    for (const file of run) yield { file, bytes: current.get(file) };
  }
}

/** The ELF of each of FILES, in order (compressed ones decompressed in batches). */
export async function* moduleElves(files: readonly string[]): AsyncGenerator<{ file: string; elf: ElfFile }> {
  for await (const { file, bytes } of plainContents(files))
    yield { file, elf: bytes ? parseElf(bytes, file) : await readElf(file) };
}

/** The plain ELF bytes of each of FILES, in order (compressed ones decompressed in batches). */
export async function* moduleContents(files: readonly string[]): AsyncGenerator<{ file: string; bytes: Buffer }> {
  for await (const { file, bytes } of plainContents(files)) yield { file, bytes: bytes ?? (await readFile(file)) };
}
