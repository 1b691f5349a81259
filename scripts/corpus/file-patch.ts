// The per-file patch of FILE between the two trees (diff -u -p: hunk headers name the function).
import { join } from 'node:path';
import { execa } from 'execa';

export async function filePatch(oldTree: string, newTree: string, file: string): Promise<string> {
  const result = await execa(
    'diff',
    ['-u', '-p', '--label', `a/${file}`, '--label', `b/${file}`, join(oldTree, file), join(newTree, file)],
    { reject: false },
  );
  if (result.exitCode !== 1) throw new Error(`diff ${file}: exit ${result.exitCode} ${result.stderr}`);
  return result.stdout + '\n';
}
