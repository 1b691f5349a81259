/**
 * An original object that make would not compile again is told without make: built, with its
 * kbuild record, and newer than its source and every dependency the record names.
 */
import { mkdir, utimes, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { originalsUpToDate } from '../../../src/kbuild/missing-originals.js';

let tmp: DirectoryResult;
const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000);

async function file(path: string, seconds: number, text = ''): Promise<void> {
  const full = join(tmp.path, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, text);
  await utimes(full, at(seconds), at(seconds));
}

beforeEach(async () => {
  await tmp?.cleanup();
  tmp = await dir({ unsafeCleanup: true });
  await file('include/linux/kbuild.h', 10);
  await file('fs/proc/version.c', 10);
  await file(
    'fs/proc/.version.o.cmd',
    20,
    'savedcmd_fs/proc/version.o := gcc -c -o fs/proc/version.o fs/proc/version.c\n\n' +
      'source_fs/proc/version.o := fs/proc/version.c\n\n' +
      'deps_fs/proc/version.o := \\\n  include/linux/kbuild.h \\\n  $(wildcard include/config/SMP) \\\n  /usr/lib/gcc/x86_64-linux-gnu/12/include/stdarg.h \\\n\n' +
      'fs/proc/version.o: $(deps_fs/proc/version.o)\n',
  );
  await file('fs/proc/version.o', 20);
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('an original object make would leave alone', () => {
  it('is built, recorded, and newer than its source and its dependencies', async () => {
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o'])).toBe(true);
  });

  it('is not when a header it depends on is newer (a patch left the tree changed)', async () => {
    await file('include/linux/kbuild.h', 30);
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o'])).toBe(false);
  });

  it('is not when its source is newer', async () => {
    await file('fs/proc/version.c', 30);
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o'])).toBe(false);
  });

  it('is not when the object, its record or a dependency is missing', async () => {
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o', 'fs/proc/cmdline.o'])).toBe(false);
    await rm(join(tmp.path, 'fs/proc/.version.o.cmd'));
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o'])).toBe(false);
  });

  it('is not when a dependency is gone', async () => {
    await rm(join(tmp.path, 'include/linux/kbuild.h'));
    expect(await originalsUpToDate(tmp.path, ['fs/proc/version.o'])).toBe(false);
  });
});
