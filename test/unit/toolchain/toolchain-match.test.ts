import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { hostRunner } from '../../../src/toolchain/runner.js';
import { checkToolchain, gccVersionNumber, ldVersionNumber } from '../../../src/toolchain/toolchain-match.js';
import type { TargetKernel } from '../../../src/kernel/target-kernel.js';
import { UserError } from '../../../src/util/errors.js';
import { fakeGcc, FAKE_VERSION_LINE, realGccConfigLines } from '../kbuild/fake-gcc.js';

/** A "vmlinux" whose .comment names COMPILER (default: the real gcc's), and a config with LD_VERSION and CONFIG. */
async function kernel(compiler: string | undefined, ldVersion: number, config = ''): Promise<TargetKernel> {
  const { path: dir } = await tmpDir({ unsafeCleanup: true });
  await writeFile(join(dir, 'k.c'), 'int x;\n');
  await execa('gcc', ['-c', '-o', join(dir, 'vmlinux'), join(dir, 'k.c')]);
  if (compiler) {
    await writeFile(join(dir, 'comment'), `GCC: ${compiler}\0`);
    await execa('objcopy', [
      '--remove-section=.comment',
      `--add-section=.comment=${join(dir, 'comment')}`,
      join(dir, 'vmlinux'),
    ]);
  }
  await writeFile(join(dir, 'config'), `CONFIG_LIVEPATCH=y\nCONFIG_LD_VERSION=${ldVersion}\n${config}`);
  return {
    source: { kind: 'dir', dir },
    config: join(dir, 'config'),
    vmlinux: join(dir, 'vmlinux'),
    symvers: '',
    modulesDir: '',
    release: 'x',
    build: { kind: 'full' },
  };
}

const hostLd = async () => ldVersionNumber((await execa('ld', ['--version'])).stdout.split('\n')[0]!)!;

describe("the toolchain must be the running kernel's", () => {
  it('reads GNU ld versions as kconfig does', () => {
    expect(ldVersionNumber('GNU ld (GNU Binutils for Debian) 2.40')).toBe(24000);
    expect(ldVersionNumber('GNU ld version 2.38.1')).toBe(23801);
  });

  it('accepts the compiler and linker that built it', async () => {
    const match = await checkToolchain(await kernel(undefined, await hostLd()), hostRunner, 'gcc');
    expect(match.warnings).toEqual([]);
    expect(match.compiler).toMatch(/\d+\.\d+/);
  });

  it('refuses another compiler or linker, naming both; --skip-compiler-check makes it a warning', async () => {
    const other = await kernel('(Other 11.1.0-1) 11.1.0', 23500);
    const error = await checkToolchain(other, hostRunner, 'gcc').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /built with "\(Other 11\.1\.0-1\) 11\.1\.0", gcc here \(host\) is "\(/,
    );
    expect((error as UserError).message).toMatch(/linked with ld 23500 \(CONFIG_LD_VERSION\), ld here is "GNU ld/);
    const skipped = await checkToolchain(other, hostRunner, 'gcc', true);
    expect(skipped.warnings).toHaveLength(2);
    expect(skipped.warnings[0]).toMatch(/^--skip-compiler-check: the running kernel was built with/);
  });

  it("reads gcc versions as kconfig's GCC_VERSION", () => {
    expect(gccVersionNumber('12.2.0')).toBe(120200);
    expect(gccVersionNumber('4.9')).toBe(40900);
    expect(gccVersionNumber('clang')).toBeUndefined();
  });

  it("compares the config's CONFIG_CC_VERSION_TEXT and GCC_VERSION with CC; --skip-compiler-check makes them warnings (a gcc-12 wrapper claiming 13.1.0)", async () => {
    const { path: bin } = await tmpDir({ unsafeCleanup: true });
    const cc = await fakeGcc(bin);
    const real = await realGccConfigLines();
    const realText = /CONFIG_CC_VERSION_TEXT="(.*)"/.exec(real)![1]!;
    const realNumber = /CONFIG_GCC_VERSION=(\d+)/.exec(real)![1]!;
    const target = await kernel(undefined, await hostLd(), real);
    // The real gcc built the kernel: accepted.
    expect((await checkToolchain(target, hostRunner, 'gcc')).warnings).toEqual([]);

    const error = await checkToolchain(target, hostRunner, cc).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect(message).toContain(
      `the running kernel's CONFIG_CC_VERSION_TEXT is "${realText}", \`${cc} --version\` here is "${FAKE_VERSION_LINE}"`,
    );
    expect(message).toContain(
      `the running kernel's CONFIG_GCC_VERSION is ${realNumber}, ${cc} here is version 13.1.0 (130100)`,
    );

    const skipped = await checkToolchain(target, hostRunner, cc, true);
    expect(skipped.warnings).toEqual([
      expect.stringMatching(
        /^--skip-compiler-check: the running kernel was built with ".*", .*gcc-12 here \(host\) is "\(Fake 13\.1\.0-1\) 13\.1\.0"$/,
      ),
      `--skip-compiler-check: the running kernel's CONFIG_CC_VERSION_TEXT is "${realText}", \`${cc} --version\` here is "${FAKE_VERSION_LINE}"`,
      `--skip-compiler-check: the running kernel's CONFIG_GCC_VERSION is ${realNumber}, ${cc} here is version 13.1.0 (130100)`,
    ]);
  });
});
