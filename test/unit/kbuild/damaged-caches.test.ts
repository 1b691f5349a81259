/**
 * Every JSON cache file the tool keeps (compile units, include graph, object index, struct
 * sizes): one cut short by a crash is read as absent with a message, and rebuilt, never a
 * SyntaxError that breaks every later run.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { includeGraph } from '../../../src/kbuild/include-graph.js';
import { buildObjectIndex, readObjectIndex } from '../../../src/kbuild/object-index.js';
import { vmlinuxCompileUnits } from '../../../src/kernel/facts/compile-units.js';
import { readCachedSizes, writeCachedSizes, type ImageIdentity } from '../../../src/kernel/facts/entry-size-cache.js';

let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(async () => tmp.cleanup());

/** Cut FILE to half its length, as a crash during a plain writeFile would leave it. */
async function truncate(file: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
}

describe('damaged cache files', () => {
  it('rebuilds the compile units of a vmlinux', async () => {
    const top = join(tmp.path, 'cu');
    await mkdir(join(top, 'fs'), { recursive: true });
    await writeFile(join(top, 'fs', 'a.c'), 'int a(void) { return 1; }\n');
    await execa('gcc', ['-g', '-c', 'fs/a.c', '-o', 'vmlinux'], { cwd: top });
    const vmlinux = join(top, 'vmlinux');
    const cache = join(top, 'caches', 'compile-units.json');
    expect(await vmlinuxCompileUnits(vmlinux, cache)).toEqual(new Set(['fs/a.c']));
    await truncate(cache);
    const messages: string[] = [];
    expect(await vmlinuxCompileUnits(vmlinux, cache, (m) => messages.push(m))).toEqual(new Set(['fs/a.c']));
    expect(messages.join('\n')).toContain(cache);
    expect(JSON.parse(await readFile(cache, 'utf8')).units).toEqual(['fs/a.c']);
  });

  it('rebuilds the include graph of a tree', async () => {
    const top = join(tmp.path, 'graph');
    await mkdir(join(top, 'fs'), { recursive: true });
    await writeFile(join(top, 'fs', 'a.h'), 'int a(void);\n');
    await writeFile(join(top, 'fs', 'a.c'), '#include "a.h"\n');
    const cache = join(top, 'caches', 'include-graph.json');
    const first = await includeGraph(top, cache);
    await truncate(cache);
    const messages: string[] = [];
    expect(await includeGraph(top, cache, (m) => messages.push(m))).toEqual(first);
    expect(messages.join('\n')).toContain(cache);
    expect(JSON.parse(await readFile(cache, 'utf8'))).toEqual(first);
  });

  it('reads a damaged object index as absent, so the original build step rebuilds it', async () => {
    const top = join(tmp.path, 'index');
    await mkdir(join(top, 'fs'), { recursive: true });
    await writeFile(
      join(top, 'fs', '.a.o.cmd'),
      'savedcmd_fs/a.o := gcc -c -o fs/a.o fs/a.c\n\nsource_fs/a.o := fs/a.c\n\ndeps_fs/a.o := \\\n  fs/a.h \\\n\n',
    );
    const index = join(top, 'object-index.json');
    await buildObjectIndex(top, index);
    expect((await readObjectIndex(index))?.objects.map((o) => o.path)).toEqual(['fs/a.o']);
    await truncate(index);
    const messages: string[] = [];
    expect(await readObjectIndex(index, (m) => messages.push(m))).toBeUndefined();
    expect(messages.join('\n')).toContain(index);
  });

  it('reads a damaged struct size record as absent, so it is measured again', async () => {
    const cacheDir = join(tmp.path, 'struct-sizes');
    const identity: ImageIdentity = { kind: 'build-id', buildId: 'abcd' };
    const stored = await writeCachedSizes(cacheDir, identity, ['jump_entry'], new Map([['jump_entry', 16]]));
    expect(await readCachedSizes(cacheDir, identity, ['jump_entry'])).toEqual(new Map([['jump_entry', 16]]));
    expect(await readdir(cacheDir)).toHaveLength(1); // nothing staged left beside it
    await truncate(stored);
    const messages: string[] = [];
    expect(await readCachedSizes(cacheDir, identity, ['jump_entry'], (m) => messages.push(m))).toBeUndefined();
    expect(messages.join('\n')).toContain(stored);
  });
});
