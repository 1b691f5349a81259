/**
 * Where the peer corpus (kpatch unit-test objects) is: the directory named by KPATCH_UNIT_OBJS,
 * or else the repository's own copy, `test/data/kpatch-unit-objs` (its README.md says where it
 * comes from). Its cases are in the `x86_64` directory under it (the one with expected.json);
 * the variable may also name that directory itself.
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
  /** Whether KPATCH_UNIT_OBJS chose the place (else the repository's copy was looked for). */
  fromVariable: boolean;
}

/** The repository's copy of the corpus, relative to the checkout. */
export const CORPUS_IN_REPOSITORY = join('test', 'data', 'kpatch-unit-objs');

/** `variable`: the value of KPATCH_UNIT_OBJS (unset or empty: the copy in `repository`). */
export function locateCorpus(variable: string | undefined, repository: string): CorpusLocation {
  const given = variable !== undefined && variable !== '';
  const base = given ? resolve(variable) : join(repository, CORPUS_IN_REPOSITORY);
  const lookedAt = given ? [join(base, 'x86_64'), base] : [join(base, 'x86_64')];
  return {
    directory: lookedAt.find((candidate) => existsSync(join(candidate, 'expected.json'))),
    lookedAt,
    fromVariable: given,
  };
}

export function corpusMissingMessage(location: CorpusLocation): string {
  const where = `peer corpus not found: no expected.json in ${location.lookedAt.join(' nor in ')}`;
  return location.fromVariable
    ? `${where} (named by KPATCH_UNIT_OBJS); unset KPATCH_UNIT_OBJS to use the repository's copy in ${CORPUS_IN_REPOSITORY}`
    : `${where}; the repository's copy belongs there (${CORPUS_IN_REPOSITORY}, see its README.md): is the checkout complete?`;
}
