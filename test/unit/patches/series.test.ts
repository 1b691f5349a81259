import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeries, readSeries } from '../../../src/patches/series.js';
import { UserError } from '../../../src/util/errors.js';

// A stream's patches in order: a quilt series file (comments, blank lines, the strip options
// quilt writes) or a directory of patches in name order; a missing patch is named with its line.
let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'series-' });
});
afterAll(async () => tmp?.cleanup());

const DIFF = '--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n';

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const path = join(tmp.path, name);
  await mkdir(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(path, file), text);
  return path;
}

const failure = async (promise: Promise<unknown>): Promise<UserError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
};

describe('parseSeries', () => {
  it('reads the patch names in order, without comments, blank lines and the options quilt writes for -p1', () => {
    const text = [
      '# Security fixes, oldest first',
      '',
      'cve-2024-0001.patch',
      '   net/fix-skb.patch -p1   # trailing comment',
      'fs/fix-inode.patch -p ab',
      'fix-git.patch -pab',
      '\t',
      '#disabled.patch',
    ].join('\n');
    expect(parseSeries(text, 'series')).toEqual([
      { name: 'cve-2024-0001.patch', line: 3 },
      { name: 'net/fix-skb.patch', line: 4 },
      { name: 'fs/fix-inode.patch', line: 5 },
      { name: 'fix-git.patch', line: 6 },
    ]);
  });

  it('refuses other strip levels, reversed patches, unknown options and a patch named twice, with the line', () => {
    expect(() => parseSeries('a.patch\nold.patch -p0\n', 'patches/series')).toThrow(
      'patches/series:2: old.patch: strip level -p0 (this tool applies patches with -p1) is not supported',
    );
    expect(() => parseSeries('deep.patch -p 2\n', 'series')).toThrow('series:1: deep.patch: strip level -p2');
    expect(() => parseSeries('undo.patch -R\n', 'series')).toThrow('series:1: undo.patch: a reversed patch (-R)');
    expect(() => parseSeries('x.patch --fuzz=3\n', 'series')).toThrow('series:1: x.patch: option --fuzz=3');
    expect(() => parseSeries('a.patch\n\na.patch\n', 'series')).toThrow(
      'series:3: a.patch is already in the series (line 1)',
    );
  });
});

describe('readSeries', () => {
  it('takes a series file, its patches relative to its directory', async () => {
    const path = await folder('quilt/patches', {
      series: '# fixes\nb.patch\nsub/a.patch -p1\n',
      'b.patch': DIFF,
    });
    await folder('quilt/patches/sub', { 'a.patch': DIFF });
    const expected = { source: join(path, 'series'), patches: [join(path, 'b.patch'), join(path, 'sub/a.patch')] };
    expect(await readSeries(join(path, 'series'))).toEqual(expected);
    // The directory of a series file: the series file.
    expect(await readSeries(path)).toEqual(expected);
  });

  it('takes a directory without a series file: its .patch and .diff files in byte order', async () => {
    const path = await folder('plain', {
      '0002-second.patch': DIFF,
      '0001-first.diff': DIFF,
      '0010-tenth.patch': DIFF,
      'B-upper.patch': DIFF,
      README: 'not a patch',
      'a-lower.patch': DIFF,
    });
    await mkdir(join(path, 'old.patch'));
    expect(await readSeries(path)).toEqual({
      source: path,
      patches: ['0001-first.diff', '0002-second.patch', '0010-tenth.patch', 'B-upper.patch', 'a-lower.patch'].map((f) =>
        join(path, f),
      ),
    });
  });

  it('names a missing patch with its series line, and refuses an empty series or directory', async () => {
    const path = await folder('missing', { series: 'here.patch\n# gone:\ngone.patch\n', 'here.patch': DIFF });
    const missing = await failure(readSeries(join(path, 'series')));
    expect(missing.message).toBe(
      `${join(path, 'series')}:3: gone.patch: no such patch file (${join(path, 'gone.patch')})`,
    );
    expect((await failure(readSeries(await folder('empty-series', { series: '# nothing yet\n' })))).message).toMatch(
      /series names no patch$/,
    );
    expect((await failure(readSeries(await folder('empty', { notes: 'x' })))).message).toMatch(
      /no series file and no \*\.patch or \*\.diff file in it$/,
    );
    expect((await failure(readSeries(join(tmp.path, 'nowhere')))).message).toMatch(
      /nowhere: no such series file or directory$/,
    );
  });
});
