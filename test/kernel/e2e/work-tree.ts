import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostRunner } from '../../../src/kbuild/runner.js';
import { prepareWorkTree } from '../../../src/kbuild/work-tree.js';
import { defaultTarget } from '../../../src/kernels/target-kernel.js';
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

/** The test kernel's work tree (the tool's cached original build); any call repairs it first. */
export async function workTree() {
  return prepareWorkTree({ target: await defaultTarget(silentLogger), runner: hostRunner, log: silentLogger });
}
