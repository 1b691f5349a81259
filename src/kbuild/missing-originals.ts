import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cmdFileDeps, cmdFileOf } from './object-index.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The objects of OBJECTS (paths relative to TREE) that the cached tree should hold and does not:
 * with WAS_BUILT, only those kbuild had built before (their .cmd record is there), as a prepared
 * tree compiles an original the first time a patch needs it and keeps it from then on.
 */
export async function missingOriginals(
  tree: string,
  objects: readonly string[],
  options: { wasBuilt?: boolean } = {},
): Promise<string[]> {
  const missing: string[] = [];
  for (const object of objects) {
    if (await exists(join(tree, object))) continue;
    if (options.wasBuilt && !(await exists(join(tree, cmdFileOf(object))))) continue;
    missing.push(object);
  }
  return missing;
}

/** What a run says when it rebuilds originals that a cached tree lost. */
export function missingOriginalsNote(missing: readonly string[]): string {
  return `the cached tree lacks the original ${missing.join(' ')} (an interrupted run?): rebuilding it`;
}

/**
 * Whether every object of OBJECTS (paths relative to TREE) is built and newer than its C source
 * and than every file its kbuild record (.cmd) says it depends on: what make would conclude
 * before compiling nothing, told without make's start-up (seconds per call: the top-level
 * prepare checks, objtool's and resolve_btfids' directories). A cached tree's sources change
 * only under a patch journal, which puts back contents and times, so an object that is newer
 * than its inputs was compiled from them with the tree's command line.
 */
export async function originalsUpToDate(tree: string, objects: readonly string[]): Promise<boolean> {
  const mtime = (path: string) =>
    stat(join(tree, path)).then(
      (info) => info.mtimeMs,
      () => undefined,
    );
  for (const object of objects) {
    const built = await mtime(object);
    const text = await readFile(join(tree, cmdFileOf(object)), 'utf8').catch(() => undefined);
    if (built === undefined || text === undefined) return false;
    const inputs = [object.replace(/\.o$/, '.c'), ...cmdFileDeps(text)];
    for (const input of inputs) {
      const changed = await mtime(input);
      if (changed === undefined || changed > built) return false;
    }
  }
  return true;
}
