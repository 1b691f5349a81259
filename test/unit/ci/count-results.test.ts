/**
 * .ci/count-results.mjs on vitest JSON reports. The fixtures are real reports of vitest 4
 * (`--reporter=json`), trimmed of timings and stack traces, from these throwaway test files:
 * - before-all-fails: `beforeAll(() => { throw ... })` and two tests (reported "skipped");
 * - passing: one passing test; skips: one passing test and one `test.skip`;
 * - cannot-load: imports a missing file (no tests reported at all);
 * - after-all-fails: one passing test and an `afterAll` that throws;
 * - describe-before-all: a describe whose beforeAll throws (its test "skipped"; the file's
 *   message stays empty) and a passing test outside it;
 * - mixed: a failing test, a `test.skip`, a `test.todo` and a passing test.
 */
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../../.ci/count-results.mjs');
const FIXTURES = resolve(import.meta.dirname, 'fixtures');

async function count(report: string): Promise<string> {
  const { stdout } = await execa('node', [SCRIPT, report]);
  return stdout;
}

describe('.ci/count-results.mjs', () => {
  it.each([
    ['before-all', 'tests skipped by a failing beforeAll count as failed', '1 2 0'],
    ['describe-hook', 'a describe-level beforeAll failure counts its skipped test as failed', '1 1 0'],
    ['load-and-teardown', 'a file that does not load and a failing afterAll count one failure each', '1 2 0'],
    ['mixed', 'skips and todos beside a failing test stay skipped', '2 1 2'],
    ['skipped', 'a skip in a passing file is skipped', '1 0 1'],
  ])('%s: %s', async (fixture, _what, expected) => {
    expect(await count(join(FIXTURES, `${fixture}.json`))).toBe(expected);
  });

  it('prints zeros for a missing or unreadable report', async () => {
    const work = await dir({ unsafeCleanup: true });
    try {
      const broken = join(work.path, 'broken.json');
      await writeFile(broken, '{"testResults": ');
      expect(await count(broken)).toBe('0 0 0');
      expect(await count(join(work.path, 'absent.json'))).toBe('0 0 0');
    } finally {
      await work.cleanup();
    }
  });
});
