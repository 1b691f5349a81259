// The .c and .h files that differ between the two trees (added and removed files left out:
// a per-file patch of a new file builds nothing the old kernel has).
import { execa } from 'execa';

export interface ChangedFiles {
  sources: string[];
  headers: string[];
}

export async function changedFiles(oldTree: string, newTree: string): Promise<ChangedFiles> {
  const result = await execa('diff', ['-rq', '--exclude=.git', oldTree, newTree], {
    reject: false,
    maxBuffer: 1 << 28,
  });
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`diff -rq failed: ${result.stderr}`);
  const sources: string[] = [];
  const headers: string[] = [];
  const prefix = oldTree.endsWith('/') ? oldTree : `${oldTree}/`;
  for (const line of result.stdout.split('\n')) {
    const m = /^Files (\S+) and \S+ differ$/.exec(line);
    if (!m || !m[1]!.startsWith(prefix)) continue;
    const path = m[1]!.slice(prefix.length);
    if (path.endsWith('.c')) sources.push(path);
    else if (path.endsWith('.h')) headers.push(path);
  }
  return { sources: sources.sort(), headers: headers.sort() };
}
