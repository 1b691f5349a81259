/**
 * The C files that `#include` changed C files (kernel/sched/rt.c inside build_policy.c), found
 * without the tree's whole include graph: that graph reads every source and header of the tree
 * and their macros (20-40 s, once per tree), which a change to C files alone does not need. grep
 * finds the few files with an `#include` line naming a changed file's basename; those lines are
 * resolved as the graph resolves them (include-graph.ts), and what includes an includer is found
 * the same way, round by round. A header that includes a changed C file, or a line naming it
 * through a macro, needs the graph: the answer is then undefined and the caller reads the graph.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { execa } from 'execa';
import { besideIncluder, includesOf, includeTail, SKIPPED_DIRS } from './include-graph.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const escapeRegex = (text: string) => text.replace(/[.[\]()*+?^$|\\{}]/g, '\\$&');

/** The files of TOP (relative paths) with an #include line whose last component is one of BASENAMES. */
async function filesNaming(top: string, basenames: readonly string[]): Promise<string[]> {
  const names = basenames.map(escapeRegex).join('|');
  const pattern = `^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?(${names})[">]`;
  // The top-level entries but those the graph skips (grep's --exclude-dir would skip a
  // directory of that name at any depth: arch/x86/tools too).
  const entries = (await readdir(top)).filter((name) => !SKIPPED_DIRS.has(name)).sort();
  const result = await execa('grep', ['-rlE', '--include=*.c', '--include=*.h', '-e', pattern, '--', ...entries], {
    cwd: top,
    reject: false,
  });
  // grep: 0 found, 1 none found, anything else an error.
  if (result.exitCode !== 0 && result.exitCode !== 1)
    throw new Error(`grep for #include lines in ${top} failed: ${result.stderr || result.shortMessage}`);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((path) => posix.normalize(path.replace(/^\.\//, '')));
}

/** Whether the include WRITTEN in INCLUDER may name TARGET, as the include graph resolves it. */
async function mayName(top: string, written: string, includer: string, target: string): Promise<boolean> {
  const beside = besideIncluder(written, includer);
  if (beside !== undefined && (await exists(join(top, beside)))) return beside === target;
  const tail = includeTail(written);
  return target === tail || target.endsWith(`/${tail}`);
}

/**
 * For each C file of FILES (tree paths), the C files of TOP that may include it, directly or
 * through other C files (the graph's sourcesIncluding, for C files); undefined when a header
 * may include one of them or one of their includers (the graph must say who includes that).
 */
export async function cFileIncluders(
  top: string,
  files: readonly string[],
): Promise<Map<string, string[]> | undefined> {
  // Who includes each file directly, found round by round from the changed files outwards.
  const includedBy = new Map<string, Set<string>>();
  let frontier = [...new Set(files)];
  const seen = new Set(frontier);
  while (frontier.length > 0) {
    const basenames = [...new Set(frontier.map((file) => posix.basename(file)))];
    const next: string[] = [];
    for (const includer of await filesNaming(top, basenames)) {
      const text = await readFile(join(top, includer), 'latin1');
      for (const written of includesOf(text)) {
        for (const target of frontier) {
          if (posix.basename(includeTail(written)) !== posix.basename(target)) continue;
          if (includer === target || !(await mayName(top, written, includer, target))) continue;
          if (!includer.endsWith('.c')) return undefined;
          let users = includedBy.get(target);
          if (!users) includedBy.set(target, (users = new Set()));
          users.add(includer);
          if (!seen.has(includer)) {
            seen.add(includer);
            next.push(includer);
          }
        }
      }
    }
    frontier = next;
  }
  const closure = (file: string): string[] => {
    const found = new Set<string>();
    const queue = [file];
    for (let at = 0; at < queue.length; at++)
      for (const user of includedBy.get(queue[at]!) ?? [])
        if (!found.has(user)) {
          found.add(user);
          queue.push(user);
        }
    return [...found].sort();
  };
  return new Map(files.map((file) => [file, closure(file)]));
}
