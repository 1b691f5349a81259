/** Cache files: written whole or not at all; a damaged one read as absent, with a message. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { readJsonCache, writeFileAtomic } from '../../../src/util/atomic-file.js';
import { UserError } from '../../../src/util/errors.js';

describe('writeFileAtomic', () => {
  it('leaves the old file whole and no partial file when the write fails half-way', async () => {
    const { path: root, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const file = join(root, 'cache.json');
      await writeFile(file, '{"old":true}');
      async function* halfThenFail(): AsyncGenerator<string> {
        yield '{"new":';
        throw new Error('disk full');
      }
      await expect(writeFileAtomic(file, halfThenFail())).rejects.toThrow('disk full');
      expect(await readFile(file, 'utf8')).toBe('{"old":true}');
      expect(await readdir(root)).toEqual(['cache.json']);

      // A first write that fails leaves no file at all.
      await expect(writeFileAtomic(join(root, 'sub', 'fresh.json'), halfThenFail())).rejects.toThrow('disk full');
      expect(await readdir(join(root, 'sub'))).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('never shows a reader a partial file while it writes', async () => {
    const { path: root, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const file = join(root, 'big.json');
      const versions = [0, 1, 2, 3, 4, 5].map((n) => JSON.stringify({ n, data: 'x'.repeat(4 << 20) }));
      await writeFileAtomic(file, versions[0]!);
      let writing = true;
      const seen: string[] = [];
      const reader = (async () => {
        while (writing) seen.push(await readFile(file, 'utf8'));
      })();
      for (const version of versions.slice(1)) await writeFileAtomic(file, version);
      writing = false;
      await reader;
      expect(seen.length).toBeGreaterThan(0);
      for (const text of seen) expect(versions).toContain(text);
      expect(await readdir(root)).toEqual(['big.json']);
    } finally {
      await cleanup();
    }
  });
});

describe('readJsonCache', () => {
  it('reads a whole file, and reads a missing one as absent without a word', async () => {
    const { path: root, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const messages: string[] = [];
      await writeFileAtomic(join(root, 'a.json'), '{"a":1}');
      expect(await readJsonCache(join(root, 'a.json'), (m) => messages.push(m))).toEqual({ a: 1 });
      expect(await readJsonCache(join(root, 'none.json'), (m) => messages.push(m))).toBeUndefined();
      expect(messages).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('reads a truncated file as absent and says it will be rebuilt', async () => {
    const { path: root, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const file = join(root, 'cut.json');
      await writeFile(file, '{"stamp":"x","units":["a.c",');
      const messages: string[] = [];
      expect(await readJsonCache(file, (m) => messages.push(m))).toBeUndefined();
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(file);
      expect(messages[0]).toMatch(/rebuild/);
    } finally {
      await cleanup();
    }
  });

  it('fails on a cache file that exists but cannot be read', async () => {
    const { path: root, cleanup } = await dir({ unsafeCleanup: true });
    try {
      const notAFile = join(root, 'dir.json');
      await mkdir(notAFile);
      const error = await readJsonCache(notAFile, () => {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toContain(notAFile);
    } finally {
      await cleanup();
    }
  });
});
