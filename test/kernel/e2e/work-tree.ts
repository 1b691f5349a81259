import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { treeForTarget } from '../../../src/kbuild/tree-for-target.js';
import { defaultTarget } from '../../../src/sources/resolve-target.js';
import { silentLogger } from '../../../src/util/log.js';

/** Content hash and mtime of files of the work tree, to prove a run left them exactly as they were. */
export async function snapshot(tree: string, files: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const file of files) {
    const path = join(tree, file);
    const data = await readFile(path).catch(() => undefined);
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    result[file] = data && info ? `${createHash('sha256').update(data).digest('hex')} mtime ${info.mtimeNs}` : 'absent';
  }
  return result;
}

/**
 * The test kernel's tree as the tool keeps it between runs (prepared, any call repairs it
 * first), with the original objects of SOURCES compiled: a run caches the originals it needs
 * there, so a snapshot taken before a run sees them as any later run leaves them.
 */
export async function workTree(sources: readonly string[] = ['fs/proc/version.c', 'fs/proc/loadavg.c']) {
  const tree = await treeForTarget({
    target: await defaultTarget(silentLogger),
    runner: hostRunner,
    log: silentLogger,
  });
  await tree.locate(sources, silentLogger);
  return tree;
}
