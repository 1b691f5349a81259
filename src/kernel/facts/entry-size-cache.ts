/**
 * On-disk cache of struct sizes measured in a vmlinux (pahole takes seconds on a kernel with
 * full debug info). An entry is keyed by what identifies the file's contents (its GNU
 * build-id, else path, inode, size and change times) and by the struct tags asked for, and
 * repeats both so that a record is only ever used for exactly what it was measured on.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ElfFile } from '../../elf/index.js';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import type { Logger } from '../../util/log.js';
import { cacheRoot } from '../../util/cache.js';
import { CACHE_FORMATS } from '../../util/cache-formats.js';
import { sha256 } from '../../util/hash.js';
import { gnuBuildId } from './build-id.js';

/** What identifies the contents of a measured file. */
export type ImageIdentity =
  | { kind: 'build-id'; buildId: string }
  | { kind: 'file'; path: string; dev: string; ino: string; size: string; mtimeNs: string; ctimeNs: string };

export interface StructSizeRecord {
  format: number;
  identity: ImageIdentity;
  tags: string[];
  /** Struct tag -> bytes, for the tags the DWARF defines. */
  sizes: Record<string, number>;
}

export function defaultCacheDir(): string {
  return join(cacheRoot(), 'kernel-facts', 'struct-sizes');
}

/** The build-id of `elf`, or (without one) the file's path, inode, size and times. */
export async function imageIdentity(path: string, elf: ElfFile): Promise<ImageIdentity> {
  const buildId = gnuBuildId(elf);
  if (buildId !== undefined) return { kind: 'build-id', buildId };
  const stats = await stat(path, { bigint: true });
  return {
    kind: 'file',
    path: resolve(path),
    dev: String(stats.dev),
    ino: String(stats.ino),
    size: String(stats.size),
    mtimeNs: String(stats.mtimeNs),
    ctimeNs: String(stats.ctimeNs),
  };
}

export function describeIdentity(identity: ImageIdentity): string {
  return identity.kind === 'build-id'
    ? `build-id ${identity.buildId}`
    : `no build-id; file ${identity.path} (size ${identity.size}, mtime ${identity.mtimeNs} ns)`;
}

function recordPath(cacheDir: string, identity: ImageIdentity, tags: readonly string[]): string {
  return join(cacheDir, `${sha256(JSON.stringify({ format: CACHE_FORMATS.structSizes, identity, tags }))}.json`);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The cached sizes for exactly this identity and these tags, or undefined (LOG tells of a damaged record). */
export async function readCachedSizes(
  cacheDir: string,
  identity: ImageIdentity,
  tags: readonly string[],
  log?: Logger,
): Promise<Map<string, number> | undefined> {
  const record = await readJsonCache<StructSizeRecord>(recordPath(cacheDir, identity, tags), log);
  if (
    !record ||
    record.format !== CACHE_FORMATS.structSizes ||
    !sameJson(record.identity, identity) ||
    !sameJson(record.tags, tags)
  )
    return undefined;
  const sizes = new Map<string, number>();
  for (const [tag, size] of Object.entries(record.sizes ?? {})) {
    if (!tags.includes(tag) || !Number.isInteger(size) || size <= 0) return undefined;
    sizes.set(tag, size);
  }
  return sizes;
}

/** Store sizes atomically (a reader sees the old record, the new one, or none). */
export async function writeCachedSizes(
  cacheDir: string,
  identity: ImageIdentity,
  tags: readonly string[],
  sizes: ReadonlyMap<string, number>,
): Promise<string> {
  const path = recordPath(cacheDir, identity, tags);
  const record: StructSizeRecord = {
    format: CACHE_FORMATS.structSizes,
    identity,
    tags: [...tags],
    sizes: Object.fromEntries(sizes),
  };
  await writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}
