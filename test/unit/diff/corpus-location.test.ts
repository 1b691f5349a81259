/** Finding the peer corpus: the repository's copy, or where KPATCH_UNIT_OBJS says. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_IN_REPOSITORY, corpusMissingMessage, locateCorpus, repositoryRoot } from './corpus-location.js';

const REPOSITORY = resolve(import.meta.dirname, '../../..');

let work: DirectoryResult;
let checkout: string;
let cases: string;
beforeAll(async () => {
  work = await dir({ unsafeCleanup: true });
  checkout = join(work.path, 'main');
  cases = join(checkout, 'test', 'data', 'kpatch-unit-objs', 'x86_64');
  await mkdir(cases, { recursive: true });
  await writeFile(join(cases, 'expected.json'), '{"cases": []}');
});
afterAll(async () => {
  await work.cleanup();
});

describe('repositoryRoot', () => {
  it('finds the checkout from a test file and from a copy compiled into node_modules/.cache', () => {
    expect(repositoryRoot(import.meta.dirname)).toBe(REPOSITORY);
    expect(repositoryRoot(join(REPOSITORY, 'node_modules/.cache/bench-diff/test/unit/diff'))).toBe(REPOSITORY);
  });

  it('says so when there is no checkout above', () => {
    expect(() => repositoryRoot(work.path)).toThrow(/no tsbuild-patch package\.json at or above/);
  });
});

describe('locateCorpus', () => {
  it("looks in the repository's copy, test/data/kpatch-unit-objs", () => {
    expect(CORPUS_IN_REPOSITORY).toBe(join('test', 'data', 'kpatch-unit-objs'));
    expect(locateCorpus(undefined, checkout)).toEqual({ directory: cases, lookedAt: [cases], fromVariable: false });
    expect(locateCorpus('', checkout).directory).toBe(cases);
  });

  it('finds the copy this checkout holds, with no variable and nothing outside the checkout', () => {
    const location = locateCorpus(undefined, REPOSITORY);
    expect(location.directory).toBe(join(REPOSITORY, 'test', 'data', 'kpatch-unit-objs', 'x86_64'));
    expect(location.lookedAt.every((path) => path.startsWith(`${REPOSITORY}/`))).toBe(true);
  });

  it('takes KPATCH_UNIT_OBJS as the corpus directory or as its x86_64 directory', () => {
    const corpus = join(checkout, 'test', 'data', 'kpatch-unit-objs');
    expect(locateCorpus(corpus, work.path).directory).toBe(cases);
    expect(locateCorpus(cases, work.path).directory).toBe(cases);
    expect(locateCorpus(cases, work.path).fromVariable).toBe(true);
  });

  it('names every path looked at when the corpus is missing', () => {
    const missing = join(work.path, 'nowhere');
    const location = locateCorpus(missing, checkout);
    expect(location).toEqual({
      directory: undefined,
      lookedAt: [join(missing, 'x86_64'), missing],
      fromVariable: true,
    });
    expect(corpusMissingMessage(location)).toBe(
      `peer corpus not found: no expected.json in ${join(missing, 'x86_64')} nor in ${missing} (named by KPATCH_UNIT_OBJS); ` +
        "unset KPATCH_UNIT_OBJS to use the repository's copy in test/data/kpatch-unit-objs",
    );
    const elsewhere = join(work.path, 'elsewhere');
    const incomplete = locateCorpus(undefined, elsewhere);
    const expected = join(elsewhere, 'test', 'data', 'kpatch-unit-objs', 'x86_64');
    expect(incomplete).toEqual({ directory: undefined, lookedAt: [expected], fromVariable: false });
    expect(corpusMissingMessage(incomplete)).toBe(
      `peer corpus not found: no expected.json in ${expected}; ` +
        "the repository's copy belongs there (test/data/kpatch-unit-objs, see its README.md): is the checkout complete?",
    );
  });
});
