// A sample of real stable fixes made from what Debian's archive serves now, for when the fixed
// sample's release and sources are gone (test/kernel/corpus/real-fixes.test.ts says why): the
// per-file patches of the C files that changed between the source of a release the archive can
// build and the next newer linux-source-6.1 it serves, limited to the files that release built
// (vmlinux or a module of its image), a seeded choice per change class. Nothing in it is a
// measured expectation: it is only known once built.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { decompressorArgs } from '../../src/kbuild/populate-tree.js';
import { archivePackage, archiveVersions, downloadPackage, extractFromDeb } from '../../src/sources/debian/apt.js';
import type { BuildableRelease } from '../../src/sources/debian/catalog.js';
import { distroTarget } from '../../src/sources/distro-target.js';
import { DEBIAN_BOOKWORM } from '../../src/kernel/distributions.js';
import { preparePreparedTree } from '../../src/kbuild/prepared-tree.js';
import { hostRunner } from '../../src/toolchain/runner.js';
import { cacheRoot } from '../../src/util/cache.js';
import { stderrLogger as log } from '../../src/util/log.js';
import { analyze, type ChangeClass } from './analyze.js';
import { aptContext } from '../../src/sources/debian/apt-context.js';
import { changedFiles } from './changed-files.js';
import { filePatch } from './file-patch.js';
import { excludedByPolicy } from './policy.js';
import { seededShuffle } from './sample.js';
import { builtInto, type BuiltInto } from './targets.js';

/** The source package: one for the whole series (linux-source-6.1), whatever the release. */
const SOURCE = DEBIAN_BOOKWORM.source.package;
const TOPDIR = DEBIAN_BOOKWORM.source.topdir;
const APT = aptContext(DEBIAN_BOOKWORM);

/** Debian versions of one series (6.1.170-3, 6.1.192-1, ...), in order. */
const byVersion = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const upstream = (version: string) => version.replace(/-[^-]*$/, '');

export interface ServedPair {
  /** The release built against and booted; its source is the old side of every patch. */
  release: string;
  oldVersion: string;
  /** The next newer upstream version of the source the archive serves (else its newest newer). */
  newVersion: string;
}

/**
 * The first of BUILDABLE (in the order given) for which the archive serves a newer source: its
 * release and version, and that newer version.
 */
export async function servedPair(buildable: readonly BuildableRelease[]): Promise<ServedPair> {
  const served = ((await archiveVersions(APT, [SOURCE])).get(SOURCE) ?? []).sort(byVersion);
  for (const base of buildable) {
    const newer = served.filter((v) => byVersion(v, base.version) > 0);
    const next = newer.find((v) => upstream(v) !== upstream(base.version)) ?? newer[newer.length - 1];
    if (next) return { release: base.release, oldVersion: base.version, newVersion: next };
  }
  throw new Error(
    `the archive serves no ${SOURCE} newer than the source of a release it can build ` +
      `(buildable: ${buildable.map((r) => `${r.release} ${r.version}`).join(', ') || 'none'}; ${SOURCE}: ${served.join(', ') || 'none'}): ` +
      'no real stable fixes can be made from it (run `apt-get update`)',
  );
}

/** The .c files of a source tarball, unpacked once under the corpus cache. */
async function cSources(tarball: string, version: string): Promise<string> {
  const dir = join(cacheRoot(), 'corpus', 'c-sources', version);
  if (existsSync(`${dir}.ok`)) return dir;
  log(`unpacking the .c files of ${SOURCE} ${version} into ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await execa('tar', [
    ...decompressorArgs(tarball),
    '-xf',
    tarball,
    '-C',
    dir,
    '--strip-components=1',
    '--wildcards',
    `${TOPDIR}/*.c`,
  ]);
  await writeFile(`${dir}.ok`, '');
  return dir;
}

/** The source tarball of VERSION, from its package (downloaded and verified by apt, cached). */
async function sourceTarball(version: string): Promise<string> {
  const dir = join(cacheRoot(), 'corpus', 'debs', version);
  const tarball = join(dir, 'usr/src', `${TOPDIR}.tar.xz`);
  if (existsSync(tarball)) return tarball;
  await mkdir(dir, { recursive: true });
  const deb = await downloadPackage(APT, await archivePackage(APT, SOURCE, version), dir, log);
  await extractFromDeb(deb, dir, [`usr/src/${TOPDIR}.tar.xz`]);
  await rm(deb, { force: true });
  return tarball;
}

export interface ServedEntry {
  id: string;
  file: string;
  class: ChangeClass;
  /** 'vmlinux' or the module of the image the file is built into. */
  target: string;
  /** The per-file patch, written into the caller's directory. */
  patch: string;
}

/** How many patches of each class; the fixed sample had about this mix. */
export const SERVED_PER_CLASS: Partial<Record<ChangeClass, number>> = {
  bodies: 8,
  'new-functions': 4,
  data: 4,
  init: 4,
};
export const SERVED_SEED = 10;

interface Candidate {
  file: string;
  class: ChangeClass;
  /** The per-file patch's text. */
  text: string;
}

/**
 * The changed C files of two trees in a seeded order, classified, until every class of PERCLASS
 * has three times its share of candidates (comment-only changes and what the corpus leaves out by
 * policy skipped): more than the share, since some will turn out not built by the release.
 */
export async function sampleCandidates(
  oldTree: string,
  newTree: string,
  perClass: Partial<Record<ChangeClass, number>>,
  seed: number,
): Promise<Candidate[]> {
  const changed = (await changedFiles(oldTree, newTree)).sources.filter((file) => !excludedByPolicy(file));
  const want = (cls: ChangeClass) => 3 * (perClass[cls] ?? 0);
  const count = new Map<ChangeClass, number>();
  const candidates: Candidate[] = [];
  const full = () => (Object.keys(perClass) as ChangeClass[]).every((cls) => (count.get(cls) ?? 0) >= want(cls));
  for (const file of seededShuffle(changed, seed)) {
    if (full()) break;
    const text = await filePatch(oldTree, newTree, file);
    const [oldText, newText] = await Promise.all([
      readFile(join(oldTree, file), 'utf8'),
      readFile(join(newTree, file), 'utf8'),
    ]);
    const a = analyze(oldText, newText, text);
    if (a.commentsOnly || (count.get(a.class) ?? 0) >= want(a.class)) continue;
    count.set(a.class, (count.get(a.class) ?? 0) + 1);
    candidates.push({ file, class: a.class, text });
  }
  return candidates;
}

/** Of CANDIDATES (in their order), up to PERCLASS per class that the release built, with their target. */
export function builtShare(
  candidates: readonly Candidate[],
  where: ReadonlyMap<string, BuiltInto>,
  perClass: Partial<Record<ChangeClass, number>>,
): Array<Candidate & { target: string }> {
  const taken = new Map<ChangeClass, number>();
  const out: Array<Candidate & { target: string }> = [];
  for (const c of candidates) {
    const built = where.get(c.file);
    if (!built || built.kind === 'not-built' || (taken.get(c.class) ?? 0) >= (perClass[c.class] ?? 0)) continue;
    taken.set(c.class, (taken.get(c.class) ?? 0) + 1);
    out.push({ ...c, target: built.kind === 'vmlinux' ? 'vmlinux' : built.module });
  }
  return out;
}

/**
 * Up to PERCLASS patches per class for PAIR, written into DIR: changed C files the release built
 * (its vmlinux's compile units; kbuild for modules), chosen in a seeded order.
 */
export async function servedSample(
  pair: ServedPair,
  dir: string,
  perClass = SERVED_PER_CLASS,
  seed = SERVED_SEED,
): Promise<ServedEntry[]> {
  const target = await distroTarget(pair.release, log);
  if (target.source.kind !== 'tarball') throw new Error(`${pair.release}: no source tarball`);
  const oldTree = await cSources(target.source.tarball, pair.oldVersion);
  const newTree = await cSources(await sourceTarball(pair.newVersion), pair.newVersion);
  const candidates = await sampleCandidates(oldTree, newTree, perClass, seed);
  log(`${pair.oldVersion}..${pair.newVersion}: ${candidates.length} candidate fixes`);
  const tree = await preparePreparedTree({ target, runner: hostRunner, log, jobs: 2 });
  const where = await builtInto({ target, tree, sources: candidates.map((c) => c.file) });
  await mkdir(dir, { recursive: true });
  const entries: ServedEntry[] = [];
  for (const c of builtShare(candidates, where, perClass)) {
    const id = c.file.replace(/\//g, '__');
    const patch = join(dir, `${id}.patch`);
    await writeFile(patch, c.text);
    entries.push({ id, file: c.file, class: c.class, target: c.target, patch });
  }
  return entries;
}
