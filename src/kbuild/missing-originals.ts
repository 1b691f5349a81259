import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
    if (options.wasBuilt && !(await exists(join(tree, dirname(object), `.${basename(object)}.cmd`)))) continue;
    missing.push(object);
  }
  return missing;
}

/** What a run says when it rebuilds originals that a cached tree lost. */
export function missingOriginalsNote(missing: readonly string[]): string {
  return `the cached tree lacks the original ${missing.join(' ')} (an interrupted run?): rebuilding it`;
}
