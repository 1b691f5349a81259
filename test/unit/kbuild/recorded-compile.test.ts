/**
 * The commands kbuild recorded, replayed: make's escapes undone, the dependency file removed as
 * fixdep would, the object really compiled, and make left to do what a record cannot.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileAsRecorded,
  dependencyFileOf,
  recordedCommand,
  recordedCompileScript,
} from '../../../src/kbuild/recorded-compile.js';

let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  await mkdir(join(tmp.path, 'fs/proc'), { recursive: true });
  await writeFile(join(tmp.path, '.config'), 'CONFIG_FTRACE_MCOUNT_USE_CC=y\n');
  await writeFile(join(tmp.path, 'fs/proc/version.c'), 'int version_value(void) { return VALUE; }\n');
  // As kbuild writes it: $ doubled, # as $(pound); the object then run through a post-step.
  await writeFile(
    join(tmp.path, 'fs/proc/.version.o.cmd'),
    'savedcmd_fs/proc/version.o := gcc -Wp,-MMD,fs/proc/.version.o.d -DVALUE=$$((40+2)) -DHASH=\'"$(pound)"\' -c -o fs/proc/version.o fs/proc/version.c   ; touch fs/proc/post-step-ran\n\n' +
      'source_fs/proc/version.o := fs/proc/version.c\n',
  );
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('a recorded kbuild command', () => {
  it("is read with make's escapes undone", () => {
    expect(recordedCommand('cmd_a.o := gcc -DX=$$HOME -DY="$(pound)" -c -o a.o a.c\n')).toBe(
      'gcc -DX=$HOME -DY="#" -c -o a.o a.c',
    );
    expect(dependencyFileOf('gcc -Wp,-MMD,fs/.a.o.d -c -o fs/a.o fs/a.c')).toBe('fs/.a.o.d');
    expect(recordedCommand('deps_a.o := \\\n')).toBeUndefined();
  });

  it('compiles the object with its post-steps and removes the dependency file', async () => {
    expect(
      await compileAsRecorded({
        tree: tmp.path,
        objects: ['fs/proc/version.o'],
        logFile: join(tmp.path, 'log'),
        what: 'test',
      }),
    ).toBe(true);
    await stat(join(tmp.path, 'fs/proc/version.o'));
    await stat(join(tmp.path, 'fs/proc/post-step-ran'));
    await expect(stat(join(tmp.path, 'fs/proc/.version.o.d'))).rejects.toThrow();
    expect(await readFile(join(tmp.path, 'log'), 'utf8')).toContain('  CC      fs/proc/version.o');
  });

  it("fails with the compiler's error and the dependency file gone", async () => {
    await writeFile(join(tmp.path, 'fs/proc/version.c'), 'int version_value(void) { return VALUE }\n');
    await expect(
      compileAsRecorded({
        tree: tmp.path,
        objects: ['fs/proc/version.o'],
        logFile: join(tmp.path, 'log'),
        what: 'patched build',
      }),
    ).rejects.toThrow(
      /^patched build failed: the commands kbuild recorded for fs\/proc\/version\.o in [\s\S]*error: expected/,
    );
    await expect(stat(join(tmp.path, 'fs/proc/.version.o.d'))).rejects.toThrow();
  });

  it('is left to make for an object without a record, or a kernel that runs recordmcount after the compile', async () => {
    expect(await recordedCompileScript(tmp.path, ['fs/proc/cmdline.o'])).toBeUndefined();
    const other = await dir({ unsafeCleanup: true });
    await writeFile(join(other.path, '.config'), 'CONFIG_FTRACE_MCOUNT_USE_RECORDMCOUNT=y\n');
    expect(await recordedCompileScript(other.path, ['fs/proc/version.o'])).toBeUndefined();
    await other.cleanup();
  });
});
