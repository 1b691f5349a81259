/**
 * The config olddefconfig resolves must be the running kernel's, compared both ways; with
 * --skip-compiler-check, what the compiler itself changed (its version options) is a warning.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { checkConfigMatches, configDifferences, isToolchainOption } from '../../../src/kbuild/config-match.js';
import { compilerIdentity, compilerVersion } from '../../../src/toolchain/compiler.js';
import { parseKconfig } from '../../../src/kernel/kconfig.js';
import { gccVersionNumber } from '../../../src/toolchain/toolchain-match.js';
import { UserError } from '../../../src/util/errors.js';
import { fakeGcc, realGccConfigLines } from './fake-gcc.js';

const RUNNING = `CONFIG_64BIT=y
CONFIG_LIVEPATCH=y
CONFIG_HZ=250
CONFIG_OLD_DRIVER=m
# CONFIG_DEBUG_FS is not set
`;

/** Write the two configs; returns their paths. */
async function configs(running: string, resolved: string): Promise<{ given: string; resolved: string }> {
  const { path } = await tmpDir({ unsafeCleanup: true });
  await writeFile(join(path, 'config'), running);
  await writeFile(join(path, '.config'), resolved);
  return { given: join(path, 'config'), resolved: join(path, '.config') };
}

async function refusal(run: Promise<unknown>): Promise<UserError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('the config after olddefconfig', () => {
  it('is accepted unchanged (an option unset or absent is the same)', async () => {
    const files = await configs(RUNNING, RUNNING.replace('# CONFIG_DEBUG_FS is not set\n', ''));
    expect(await checkConfigMatches(files.given, files.resolved)).toEqual([]);
  });

  it('is refused when olddefconfig only adds an option', async () => {
    const files = await configs(RUNNING, `${RUNNING}CONFIG_NEW_FEATURE=y\n`);
    const error = await refusal(checkConfigMatches(files.given, files.resolved));
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `the config ${files.given} does not survive olddefconfig in this source tree with this compiler:\n` +
        '  CONFIG_NEW_FEATURE added: running kernel not set, this build y',
    );
  });

  it('names every option added, removed and changed, with both values', async () => {
    const resolved = RUNNING.replace('CONFIG_HZ=250', 'CONFIG_HZ=1000')
      .replace('CONFIG_OLD_DRIVER=m\n', '')
      .replace('# CONFIG_DEBUG_FS is not set', 'CONFIG_DEBUG_FS=y');
    const files = await configs(RUNNING, resolved);
    const error = await refusal(checkConfigMatches(files.given, files.resolved));
    expect(error.message.split('\n').slice(1)).toEqual([
      '  CONFIG_DEBUG_FS added: running kernel not set, this build y',
      '  CONFIG_HZ changed: running kernel 250, this build 1000',
      '  CONFIG_OLD_DRIVER removed: running kernel m, this build not set',
    ]);
    expect(configDifferences(parseKconfig(RUNNING), parseKconfig(resolved)).map((d) => [d.name, d.kind])).toEqual([
      ['DEBUG_FS', 'added'],
      ['HZ', 'changed'],
      ['OLD_DRIVER', 'removed'],
    ]);
  });

  it('says how many more there are past the first 20', async () => {
    const extra = Array.from({ length: 23 }, (_, i) => `CONFIG_EXTRA_${String(i).padStart(2, '0')}=y\n`).join('');
    const files = await configs(RUNNING, RUNNING + extra);
    const lines = (await refusal(checkConfigMatches(files.given, files.resolved))).message.split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  ... and 3 more');
  });
});

describe('the config after olddefconfig with another compiler (a gcc-12 wrapper claiming 13.1.0)', () => {
  /** The running kernel's config (built with the real gcc) and what olddefconfig writes with CC=the wrapper. */
  async function withWrapper(extra = '') {
    const { path: bin } = await tmpDir({ unsafeCleanup: true });
    const cc = await fakeGcc(bin);
    const running = RUNNING + (await realGccConfigLines()) + 'CONFIG_CC_HAS_ASM_INLINE=y\n';
    const resolved =
      running
        .replace(/CONFIG_CC_VERSION_TEXT=.*/, `CONFIG_CC_VERSION_TEXT="${await compilerIdentity(cc)}"`)
        .replace(/CONFIG_GCC_VERSION=.*/, `CONFIG_GCC_VERSION=${gccVersionNumber(await compilerVersion(cc))}`)
        .replace('CONFIG_CC_HAS_ASM_INLINE=y\n', '') + extra;
    return { running, files: await configs(running, resolved) };
  }

  it('is refused without --skip-compiler-check, naming both versions', async () => {
    const { running, files } = await withWrapper();
    const realText = /CONFIG_CC_VERSION_TEXT=(.*)/.exec(running)![1]!;
    const realNumber = /CONFIG_GCC_VERSION=(\d+)/.exec(running)![1]!;
    const error = await refusal(checkConfigMatches(files.given, files.resolved));
    expect(error.message.split('\n').slice(1)).toEqual([
      '  CONFIG_CC_HAS_ASM_INLINE removed: running kernel y, this build not set',
      `  CONFIG_CC_VERSION_TEXT changed: running kernel ${realText}, this build "gcc-12 (Fake 13.1.0-1) 13.1.0"`,
      `  CONFIG_GCC_VERSION changed: running kernel ${realNumber}, this build 130100`,
    ]);
    expect(error.hint).toMatch(/--skip-compiler-check/);
  });

  it('gives warnings naming both versions with --skip-compiler-check, and builds', async () => {
    const { running, files } = await withWrapper();
    const realText = /CONFIG_CC_VERSION_TEXT=(.*)/.exec(running)![1]!;
    expect(await checkConfigMatches(files.given, files.resolved, { skipCompilerCheck: true })).toEqual([
      '--skip-compiler-check: CONFIG_CC_HAS_ASM_INLINE removed: running kernel y, this build not set',
      `--skip-compiler-check: CONFIG_CC_VERSION_TEXT changed: running kernel ${realText}, this build "gcc-12 (Fake 13.1.0-1) 13.1.0"`,
      expect.stringMatching(
        /^--skip-compiler-check: CONFIG_GCC_VERSION changed: running kernel \d+, this build 130100$/,
      ),
    ]);
  });

  it('still refuses, with --skip-compiler-check, an option the toolchain does not decide', async () => {
    const { files } = await withWrapper('CONFIG_NEW_FEATURE=y\n');
    const error = await refusal(checkConfigMatches(files.given, files.resolved, { skipCompilerCheck: true }));
    expect(error.message.split('\n').slice(1)).toEqual([
      '  CONFIG_NEW_FEATURE added: running kernel not set, this build y',
    ]);
  });

  it('counts versions and probes of the toolchain as its options, nothing else', () => {
    for (const name of [
      'CC_VERSION_TEXT',
      'GCC_VERSION',
      'CLANG_VERSION',
      'LD_VERSION',
      'AS_VERSION',
      'CC_IS_GCC',
      'CC_HAS_ASM_INLINE',
      'AS_HAS_NON_CONST_LEB128',
      'LD_HAS_BTF',
      'CC_CAN_LINK',
      'TOOLS_SUPPORT_RELR',
    ]) {
      expect(isToolchainOption(name), name).toBe(true);
    }
    for (const name of [
      'LIVEPATCH',
      'HZ',
      'CC_OPTIMIZE_FOR_PERFORMANCE',
      'GCC_PLUGINS',
      'LD_DEAD_CODE_DATA_ELIMINATION',
      'CCVERSION',
    ]) {
      expect(isToolchainOption(name), name).toBe(false);
    }
  });
});
