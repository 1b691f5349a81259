/** Finding the peer corpus: beside the checkout, or where KPATCH_UNIT_OBJS says. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusMissingMessage, locateCorpus, repositoryRoot } from './corpus-location.js';

const REPOSITORY = resolve(import.meta.dirname, '../../..');

let work: DirectoryResult;
let checkout: string;
let cases: string;
beforeAll(async () => {
  work = await dir({ unsafeCleanup: true });
  checkout = join(work.path, 'main');
  cases = join(work.path, 'shared', 'kpatch-unit-objs', 'x86_64');
  await mkdir(checkout);
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
  it('looks in shared/kpatch-unit-objs beside the checkout', () => {
    expect(locateCorpus(undefined, checkout)).toEqual({ directory: cases, lookedAt: [cases] });
    expect(locateCorpus('', checkout).directory).toBe(cases);
  });

  it('takes KPATCH_UNIT_OBJS as the corpus directory or as its x86_64 directory', () => {
    const corpus = join(work.path, 'shared', 'kpatch-unit-objs');
    expect(locateCorpus(corpus, work.path).directory).toBe(cases);
    expect(locateCorpus(cases, work.path).directory).toBe(cases);
  });

  it('names every path looked at when the corpus is missing', () => {
    const missing = join(work.path, 'nowhere');
    const location = locateCorpus(missing, checkout);
    expect(location).toEqual({ directory: undefined, lookedAt: [join(missing, 'x86_64'), missing] });
    expect(corpusMissingMessage(location)).toBe(
      `peer corpus not found: no expected.json in ${join(missing, 'x86_64')} nor in ${missing}; ` +
        'put kpatch-unit-objs in shared/ beside the checkout or set KPATCH_UNIT_OBJS to its directory',
    );
    const beside = locateCorpus(undefined, join(work.path, 'elsewhere', 'main'));
    expect(beside).toEqual({ directory: undefined, lookedAt: [join(work.path, 'elsewhere', 'shared', 'kpatch-unit-objs', 'x86_64')] });
  });
});
