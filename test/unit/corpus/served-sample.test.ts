/**
 * The real-fixes test's sample made from what the archive serves (scripts/corpus/served-sample.ts),
 * on two small made-up trees: which changed C files become candidates, in which class, and which
 * of them are kept once it is known what the release built.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtShare, sampleCandidates } from '../../../scripts/corpus/served-sample.js';
import type { BuiltInto } from '../../../scripts/corpus/targets.js';

const fn = (name: string, body: string, attributes = '') => `static int ${attributes}${name}(int x)\n{\n\t${body}\n}\n`;

/** Per file: its text in the old tree and in the new one (undefined: absent). */
const FILES: Record<string, [string | undefined, string | undefined]> = {
  'fs/body.c': [fn('one', 'return x + 1;'), fn('one', 'return x + 2;')],
  'fs/body2.c': [fn('two', 'return x * 2;'), fn('two', 'return x * 3;')],
  'net/newfn.c': [fn('three', 'return x;'), `${fn('helper', 'return -x;')}\n${fn('three', 'return helper(x);')}`],
  'drivers/data.c': [
    `static int table[] = { 1, 2 };\n${fn('four', 'return table[x];')}`,
    `static int table[] = { 1, 3 };\n${fn('four', 'return table[x];')}`,
  ],
  'init/setup.c': [fn('five', 'return 5;', '__init '), fn('five', 'return 6;', '__init ')],
  'fs/comment.c': [`/* one */\n${fn('six', 'return 6;')}`, `/* two */\n${fn('six', 'return 6;')}`],
  'lib/excluded.c': [fn('seven', 'return 7;'), fn('seven', 'return 8;')],
  'fs/same.c': [fn('eight', 'return 8;'), fn('eight', 'return 8;')],
  'fs/added.c': [undefined, fn('nine', 'return 9;')],
  'fs/header.h': ['#define A 1\n', '#define A 2\n'],
};

let work: DirectoryResult;
let oldTree: string;
let newTree: string;
beforeAll(async () => {
  work = await dir({ unsafeCleanup: true });
  oldTree = join(work.path, 'old');
  newTree = join(work.path, 'new');
  for (const [file, [before, after]] of Object.entries(FILES)) {
    for (const [tree, text] of [
      [oldTree, before],
      [newTree, after],
    ] as const) {
      if (text === undefined) continue;
      await mkdir(dirname(join(tree, file)), { recursive: true });
      await writeFile(join(tree, file), text);
    }
  }
});
afterAll(async () => work.cleanup());

describe('a sample of the fixes between two served sources', () => {
  it('takes the changed C files of both trees, classified, leaving out comment-only changes, policy exclusions, new files and headers', async () => {
    const candidates = await sampleCandidates(
      oldTree,
      newTree,
      { bodies: 2, 'new-functions': 1, data: 1, init: 1 },
      10,
    );
    expect(Object.fromEntries(candidates.map((c) => [c.file, c.class]))).toEqual({
      'fs/body.c': 'bodies',
      'fs/body2.c': 'bodies',
      'net/newfn.c': 'new-functions',
      'drivers/data.c': 'data',
      'init/setup.c': 'init',
    });
    const body = candidates.find((c) => c.file === 'fs/body.c')!;
    expect(body.text).toMatch(/^--- a\/fs\/body\.c\n\+\+\+ b\/fs\/body\.c\n@@ /);
    expect(body.text).toContain('-\treturn x + 1;\n+\treturn x + 2;');
    // The same seed, the same order.
    expect(
      (await sampleCandidates(oldTree, newTree, { bodies: 2, 'new-functions': 1, data: 1, init: 1 }, 10)).map(
        (c) => c.file,
      ),
    ).toEqual(candidates.map((c) => c.file));
  });

  it('stops at three times the share of every class', async () => {
    const candidates = await sampleCandidates(
      oldTree,
      newTree,
      { 'new-functions': 0, bodies: 0, data: 0, init: 0 },
      10,
    );
    expect(candidates).toEqual([]);
  });

  it('keeps, per class and in the seeded order, up to its share of what the release built, with the target', async () => {
    const candidates = await sampleCandidates(
      oldTree,
      newTree,
      { bodies: 1, 'new-functions': 1, data: 1, init: 1 },
      10,
    );
    const where = new Map<string, BuiltInto>([
      ['fs/body.c', { kind: 'vmlinux' }],
      ['fs/body2.c', { kind: 'vmlinux' }],
      ['net/newfn.c', { kind: 'module', module: 'newfn', ko: 'kernel/net/newfn.ko' }],
      ['drivers/data.c', { kind: 'not-built', why: 'not configured' }],
    ]);
    const kept = builtShare(candidates, where, { bodies: 1, 'new-functions': 1, data: 1, init: 1 });
    const firstBody = candidates.find((c) => c.class === 'bodies')!.file;
    expect(kept.map((k) => [k.file, k.class, k.target]).sort()).toEqual(
      [
        [firstBody, 'bodies', 'vmlinux'],
        ['net/newfn.c', 'new-functions', 'newfn'],
      ].sort(),
    );
  });
});
