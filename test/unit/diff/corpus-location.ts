/**
 * Where the peer corpus (kpatch unit-test objects) is: the directory named by KPATCH_UNIT_OBJS,
 * or else `shared/kpatch-unit-objs` beside the checkout (`<repository>/../shared/kpatch-unit-objs`).
 * Its cases are in the `x86_64` directory under it (the one with expected.json); the variable
 * may also name that directory itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const PACKAGE_NAME = 'tsbuild-patch';

function isRepositoryRoot(directory: string): boolean {
  const manifest = join(directory, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The checkout holding `from`: the nearest directory at or above it with this project's
 * package.json. Walking up (rather than a fixed number of '..') also serves copies compiled
 * elsewhere in the checkout: bench:diff runs this file from node_modules/.cache/bench-diff/.
 */
export function repositoryRoot(from: string): string {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    if (isRepositoryRoot(directory)) return directory;
    if (dirname(directory) === directory) throw new Error(`no ${PACKAGE_NAME} package.json at or above ${from}`);
  }
}

export interface CorpusLocation {
  /** The directory holding expected.json, if one of the candidates has it. */
  directory: string | undefined;
  /** Every directory looked at, in order. */
  lookedAt: string[];
}

/** `variable`: the value of KPATCH_UNIT_OBJS (unset or empty: use the default beside `repository`). */
export function locateCorpus(variable: string | undefined, repository: string): CorpusLocation {
  const given = variable !== undefined && variable !== '';
  const base = given ? resolve(variable) : join(repository, '..', 'shared', 'kpatch-unit-objs');
  const lookedAt = given ? [join(base, 'x86_64'), base] : [join(base, 'x86_64')];
  return { directory: lookedAt.find((candidate) => existsSync(join(candidate, 'expected.json'))), lookedAt };
}

export function corpusMissingMessage(location: CorpusLocation): string {
  return (
    `peer corpus not found: no expected.json in ${location.lookedAt.join(' nor in ')}; ` +
    'put kpatch-unit-objs in shared/ beside the checkout or set KPATCH_UNIT_OBJS to its directory'
  );
}
