/**
 * A copy of a kernel tree that shares its sources with the original through hard links and owns
 * everything the build writes. Sharing a file is safe only when nothing ever writes into it in
 * place, in either tree, since a hard link is the same file:
 * - sources are replaced, never rewritten: patch(1) writes a new file and renames it over the
 *   old one; the journal restores with tar, which unlinks a file before extracting it (and a
 *   legacy journal's cp with --remove-destination); kbuild never writes a source;
 * - build outputs are rewritten in place: kbuild's `> file` redirections (.cmd files, generated
 *   headers), objtool and recordmcount editing an object, gcc's dependency files. A copy owns
 *   them: a real copy, or a reflink where the file system can (cp --reflink=auto).
 * A file counts as a source only when it came from the unpacked tarball: older than the tree's
 * `populated` marker (tar gives each file its time in the archive; anything configure, prepare
 * or a later build wrote is newer) and not a build output by name. Anything else is copied.
 * test/unit/kbuild/linked-copy.test.ts writes through each of these paths in a copy and checks
 * that the original never changes.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { isBuildOutput } from './populate-tree.js';

export interface LinkedCopyResult {
  /** Files shared with the original (hard links). */
  linked: number;
  /** Files the copy owns (copied or reflinked). */
  copied: number;
}

/**
 * Whether a file of a tree (PATH relative to its top, modified at MTIMENS) may be shared by a
 * copy: a source, unchanged since the tree was unpacked at SOURCESBEFORENS. Without that time,
 * nothing is shared.
 */
export function isSharedSource(path: string, mtimeNs: bigint, sourcesBeforeNs: bigint | undefined): boolean {
  return sourcesBeforeNs !== undefined && mtimeNs < sourcesBeforeNs && !isBuildOutput(path);
}

/** Regular files of DIR as paths relative to it, each with its mtime (ns). */
async function regularFiles(dir: string): Promise<{ path: string; mtimeNs: bigint }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)));
  const files: { path: string; mtimeNs: bigint }[] = [];
  for (let i = 0; i < paths.length; i += 512) {
    const chunk = paths.slice(i, i + 512);
    const infos = await Promise.all(chunk.map((path) => lstat(join(dir, path), { bigint: true })));
    chunk.forEach((path, j) => files.push({ path, mtimeNs: infos[j]!.mtimeNs }));
  }
  return files;
}

/**
 * Copy tree FROM to TO (which must not exist): `cp -al` makes the directories and links every
 * file, then each file that is not a shared source is replaced by its own copy (the link
 * removed first, so the original is never written), mode and times kept to the nanosecond.
 */
export async function linkedTreeCopy(
  from: string,
  to: string,
  options: { sourcesBeforeNs: bigint | undefined },
): Promise<LinkedCopyResult> {
  const files = await regularFiles(from);
  const owned = files
    .filter((file) => !isSharedSource(file.path, file.mtimeNs, options.sourcesBeforeNs))
    .map((file) => file.path);
  const linking = await execa('cp', ['-al', '--', from, to], { reject: false, all: true });
  if (linking.failed) {
    // No hard links here (another file system under the copy, a link limit): a full copy.
    await rm(to, { recursive: true, force: true });
    await execa('cp', ['-a', '--reflink=auto', '--', from, to]);
    return { linked: 0, copied: files.length };
  }
  if (owned.length > 0) {
    const copy = await execa(
      'xargs',
      ['-0', 'cp', '-p', '--reflink=auto', '--remove-destination', '--parents', '-t', to, '--'],
      {
        cwd: from,
        input: owned.join('\0'),
        reject: false,
        all: true,
      },
    );
    if (copy.failed)
      throw new Error(
        `copying the build outputs of ${from} to ${to} failed: ${String(copy.all).trim().split('\n').slice(-3).join('; ')}`,
      );
  }
  // Never hand out a copy whose outputs are still the original's files.
  for (let i = 0; i < owned.length; i += 512) {
    const chunk = owned.slice(i, i + 512);
    const infos = await Promise.all(chunk.map((path) => lstat(join(to, path), { bigint: true })));
    const shared = chunk.filter((_, j) => infos[j]!.nlink > 1n);
    if (shared.length > 0)
      throw new Error(`${to}: ${shared.slice(0, 3).join(', ')} still linked to ${from} after copying`);
  }
  return { linked: files.length - owned.length, copied: owned.length };
}
