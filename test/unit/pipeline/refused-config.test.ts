import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { runPipeline } from '../../../src/pipeline/run.js';
import { UserError } from '../../../src/util/errors.js';

describe("the pipeline checks the running kernel's config first", () => {
  it('refuses a RANDSTRUCT kernel before building anything, naming the option', async () => {
    const { path: dir } = await tmpDir({ unsafeCleanup: true });
    await mkdir(join(dir, 'linux'));
    await writeFile(join(dir, 'config'), 'CONFIG_LIVEPATCH=y\nCONFIG_RANDSTRUCT_FULL=y\n');
    await writeFile(join(dir, 'vmlinux'), '');
    await writeFile(join(dir, 'Module.symvers'), '');
    await writeFile(join(dir, 'fix.patch'), '--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n@@ -1 +1 @@\n-a\n+b\n');
    const stages: string[] = [];
    const error = await runPipeline({
      patches: [join(dir, 'fix.patch')],
      target: {
        sourcedir: join(dir, 'linux'),
        config: join(dir, 'config'),
        vmlinux: join(dir, 'vmlinux'),
        symvers: join(dir, 'Module.symvers'),
      },
      runner: hostRunner,
      replace: true,
      keepTmp: false,
      log: (line) => stages.push(line),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    if (!(error instanceof UserError)) return;
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/RANDSTRUCT_FULL/);
    expect(error.message).toMatch(/running kernel/);
    expect(stages.some((line) => line.includes('original-build'))).toBe(false);
  });
});
