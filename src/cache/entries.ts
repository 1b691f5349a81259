/**
 * What the tool keeps under its cache root (src/util/cache.ts), entry by entry, as the modules
 * that write them lay it out:
 * - kernels/<distro>/<release>_<version>/: a distribution kernel's packages, unpacked
 *   (src/sources/debian/acquire.ts; lock acquire.lock);
 * - trees/<key>/: a prepared tree (src/kbuild/prepared-tree.ts; locks build.lock and
 *   patch.lock), and trees/<key>/slots/<n>/ its copies for batch builds (src/kbuild/tree-slots.ts;
 *   lock patch.lock, made under the tree's), listed on their own but removed with their tree;
 * - builds/<key>/: a fully built work tree (src/kbuild/work-tree.ts; build.lock, patch.lock);
 * - test-kernel/<key>/: the built-in test kernel (src/sources/test-kernel/provision.ts; its
 *   lock is test-kernel/<key>.lock, beside it);
 * - system-vm/<key>/: a system VM's disk image (test/support/system-vm/rootfs.ts; lock `lock`);
 * - kernel-facts/: struct sizes read from kernels' DWARF (src/kernel/facts/entry-size-cache.ts),
 *   and the decompressed copies of .ko.xz modules ELF readers are given (src/kernel/module-file.ts);
 * - containers/: the build image's state, logs and lock (src/toolchain/container/builder-image.ts);
 * - runs/<time>-<pid>/: each run's logs (src/util/run-logs.ts).
 * Anything else is listed as `other` and never removed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { treeLock } from '../kbuild/tree-slots.js';

export const CACHE_ENTRY_KINDS = [
  'kernel',
  'tree',
  'slot',
  'build',
  'test-kernel',
  'system-vm',
  'kernel-facts',
  'containers',
  'run',
  'leftover',
  'other',
] as const;
export type CacheEntryKind = (typeof CACHE_ENTRY_KINDS)[number];

export interface CacheEntry {
  kind: CacheEntryKind;
  /** What identifies it within its kind: a release and version, a key, a run's name. */
  name: string;
  path: string;
  /** The kernel release it is for, when it has one. */
  release?: string;
  /** Entries inside this one, listed on their own (a tree's slots); removed with it. */
  inner: CacheEntry[];
  /** The lock directories its users take (a remover takes them too). */
  locks: string[];
  /** The process a run's logs or a removal's leftovers belong to. */
  pid?: number;
  /** Whether `cache prune` may remove it. */
  prunable: boolean;
}

/** Where a process removing entries moves each one first (`.removing-<pid>-<n>`). */
export const REMOVING_PREFIX = '.removing-';

const RUN_NAME = /^\d{4}-\d{2}-\d{2}T[\d-]+Z-(\d+)(?:\.\d+)?$/;

const children = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );

/** The release a kernel tree was configured and prepared for (kbuild's UTS_RELEASE). */
async function treeRelease(tree: string): Promise<string | undefined> {
  const text = await readFile(join(tree, 'include/generated/utsrelease.h'), 'utf8').catch(() => '');
  return /UTS_RELEASE\s+"([^"]+)"/.exec(text)?.[1];
}

function entry(kind: CacheEntryKind, name: string, path: string, more: Partial<CacheEntry> = {}): CacheEntry {
  return { kind, name, path, inner: [], locks: [], prunable: kind !== 'other', ...more };
}

const withRelease = (release: string | undefined) => (release === undefined ? {} : { release });

async function kernels(root: string): Promise<CacheEntry[]> {
  const found: CacheEntry[] = [];
  for (const distro of await children(join(root, 'kernels'))) {
    if (!distro.isDirectory()) continue;
    for (const release of await children(join(root, 'kernels', distro.name))) {
      if (!release.isDirectory()) continue;
      const path = join(root, 'kernels', distro.name, release.name);
      found.push(
        entry('kernel', `${distro.name}/${release.name}`, path, {
          release: release.name.split('_')[0]!,
          locks: [join(path, 'acquire.lock')],
        }),
      );
    }
  }
  return found;
}

/** Trees in DIR (trees/ or builds/), each with its slots. */
async function trees(dir: string, kind: 'tree' | 'build'): Promise<CacheEntry[]> {
  const found: CacheEntry[] = [];
  for (const key of await children(dir)) {
    if (!key.isDirectory()) continue;
    const path = join(dir, key.name);
    const release = await treeRelease(join(path, 'linux'));
    const slots = (await children(join(path, 'slots')))
      .filter((slot) => slot.isDirectory())
      .map((slot) => {
        const slotPath = join(path, 'slots', slot.name);
        // A slot is made under its tree's patch lock, and used under its own.
        return entry('slot', `${key.name}/slots/${slot.name}`, slotPath, {
          ...withRelease(release),
          locks: [treeLock(slotPath), treeLock(path)],
        });
      });
    found.push(
      entry(kind, key.name, path, {
        ...withRelease(release),
        inner: slots,
        locks: [join(path, 'build.lock'), treeLock(path)],
      }),
    );
  }
  return found;
}

async function testKernels(root: string): Promise<CacheEntry[]> {
  const dir = join(root, 'test-kernel');
  const found: CacheEntry[] = [];
  for (const child of await children(dir)) {
    const path = join(dir, child.name);
    if (child.isDirectory() && !child.name.includes('.lock')) {
      found.push(
        entry('test-kernel', child.name, path, {
          ...withRelease(await treeRelease(join(path, 'linux'))),
          locks: [`${path}.lock`],
        }),
      );
    } else if (!child.name.includes('.lock')) {
      found.push(entry('other', `test-kernel/${child.name}`, path));
    }
  }
  return found;
}

async function keyed(root: string, name: string, kind: CacheEntryKind, lock: string): Promise<CacheEntry[]> {
  return (await children(join(root, name)))
    .filter((child) => child.isDirectory())
    .map((child) =>
      entry(kind, child.name, join(root, name, child.name), { locks: [join(root, name, child.name, lock)] }),
    );
}

function runs(root: string): Promise<CacheEntry[]> {
  return children(join(root, 'runs')).then((names) =>
    names.map((child) => {
      const pid = RUN_NAME.exec(child.name)?.[1];
      const path = join(root, 'runs', child.name);
      return pid === undefined
        ? entry('other', `runs/${child.name}`, path)
        : entry('run', child.name, path, { pid: Number(pid) });
    }),
  );
}

const KNOWN = new Set(['kernels', 'trees', 'builds', 'test-kernel', 'system-vm', 'kernel-facts', 'containers', 'runs']);

/** Every entry under ROOT, in listing order: a tree's slots follow it (in its `inner`). */
export async function findCacheEntries(root: string): Promise<CacheEntry[]> {
  const top = await children(root);
  const has = (name: string) => top.some((child) => child.name === name);
  const rest: CacheEntry[] = [];
  for (const child of top) {
    if (KNOWN.has(child.name)) continue;
    const path = join(root, child.name);
    const pid = child.name.startsWith(REMOVING_PREFIX)
      ? Number.parseInt(child.name.slice(REMOVING_PREFIX.length), 10)
      : Number.NaN;
    rest.push(Number.isInteger(pid) ? entry('leftover', child.name, path, { pid }) : entry('other', child.name, path));
  }
  const engines = ['podman', 'docker'].map((engine) => join(root, 'containers', `${engine}-image.lock`));
  const found = [
    ...(await kernels(root)),
    ...(await trees(join(root, 'trees'), 'tree')),
    ...(await trees(join(root, 'builds'), 'build')),
    ...(await testKernels(root)),
    ...(await keyed(root, 'system-vm', 'system-vm', 'lock')),
    ...(has('kernel-facts') ? [entry('kernel-facts', 'kernel-facts', join(root, 'kernel-facts'))] : []),
    ...(has('containers') ? [entry('containers', 'containers', join(root, 'containers'), { locks: engines })] : []),
    ...(await runs(root)),
    ...rest,
  ];
  // What the tool does not know last.
  return [...found.filter((e) => e.kind !== 'other'), ...found.filter((e) => e.kind === 'other')];
}

/** An entry and the entries inside it, the entry first. */
export const withInner = (entry: CacheEntry): CacheEntry[] => [entry, ...entry.inner.flatMap(withInner)];
