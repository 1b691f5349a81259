import { describe, expect, it } from 'vitest';
import { checkKernelConfig, configProblems, CONFIG_POLICY } from '../../../src/kernel/config-policy.js';
import { parseKconfig } from '../../../src/kernel/kconfig.js';
import { RefusedError } from '../../../src/util/errors.js';
import type { RefusalCategory } from '../../../src/util/refusal.js';
import { userError } from '../../support/user-error.js';

/** A config as olddefconfig writes it for a livepatchable x86_64 kernel (the test kernel's choices). */
const GOOD = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.192 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_64BIT=y
CONFIG_LIVEPATCH=y
CONFIG_RANDSTRUCT_NONE=y
# CONFIG_RANDSTRUCT_FULL is not set
# CONFIG_RANDSTRUCT_PERFORMANCE is not set
CONFIG_LTO_NONE=y
# CONFIG_LTO_CLANG_FULL is not set
# CONFIG_LTO_CLANG_THIN is not set
CONFIG_ARCH_SUPPORTS_LTO_CLANG=y
CONFIG_HAVE_GCC_PLUGINS=y
# CONFIG_GCC_PLUGINS is not set
# CONFIG_DEBUG_INFO_SPLIT is not set
CONFIG_HAVE_LD_DEAD_CODE_DATA_ELIMINATION=y
# CONFIG_LD_DEAD_CODE_DATA_ELIMINATION is not set
CONFIG_CC_HAS_IBT=y
# CONFIG_X86_KERNEL_IBT is not set
`;

/** GOOD with OPTION's line replaced (or appended) by LINE. */
function withLine(option: string, line: string): string {
  const lines = GOOD.split('\n').filter((l) => l !== `CONFIG_${option}=y` && l !== `# CONFIG_${option} is not set`);
  return [...lines, line, ''].join('\n');
}

describe('checkKernelConfig', () => {
  it('accepts a livepatchable configuration, for either role', () => {
    expect(() => checkKernelConfig(GOOD, 'running kernel')).not.toThrow();
    expect(() => checkKernelConfig(GOOD, 'build')).not.toThrow();
  });

  const refusedWhenSet: Array<[string, RegExp, RefusalCategory]> = [
    ['RANDSTRUCT_FULL', /shuffled with a seed/, 'config-randstruct'],
    ['RANDSTRUCT_PERFORMANCE', /shuffled with a seed/, 'config-randstruct'],
    ['GCC_PLUGIN_RANDSTRUCT', /shuffled with a seed/, 'config-randstruct'],
    ['GCC_PLUGIN_RANDSTRUCT_PERFORMANCE', /shuffled with a seed/, 'config-randstruct'],
    ['GCC_PLUGIN_LATENT_ENTROPY', /latent_entropy gcc plugin/, 'config-latent-entropy'],
    ['DEBUG_INFO_SPLIT', /\.dwo files/, 'config-debug-info-split'],
    ['LTO_CLANG_FULL', /link-time optimization/, 'config-lto'],
    ['LTO_CLANG_THIN', /link-time optimization/, 'config-lto'],
    ['LTO_CLANG', /link-time optimization/, 'config-lto'],
    ['LTO', /link-time optimization/, 'config-lto'],
    ['LD_DEAD_CODE_DATA_ELIMINATION', /--gc-sections/, 'config-gc-sections'],
  ];
  for (const [option, why, category] of refusedWhenSet) {
    it(`refuses CONFIG_${option}=y, naming the option and why (exit status 2, category ${category})`, () => {
      const error = userError(() => checkKernelConfig(withLine(option, `CONFIG_${option}=y`), 'running kernel'));
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(/^the running kernel's configuration has an option with which a livepatch cannot/);
      expect(error.message).toContain(`CONFIG_${option}=y: `);
      expect(error.message).toMatch(why);
      expect(error).toBeInstanceOf(RefusedError);
      expect((error as RefusedError).reasons).toEqual([
        { object: '', reason: expect.stringMatching(new RegExp(`^CONFIG_${option}=y: `)), category },
      ]);
    });
  }

  it('has a case above for every option of the policy', () => {
    const tested = new Set([...refusedWhenSet.map(([option]) => option), 'LIVEPATCH']);
    expect(CONFIG_POLICY.map((rule) => rule.option).filter((option) => !tested.has(option))).toEqual([]);
  });

  it('refuses a kernel without CONFIG_LIVEPATCH, set to n or absent (category config-livepatch-missing)', () => {
    for (const text of [
      withLine('LIVEPATCH', '# CONFIG_LIVEPATCH is not set'),
      GOOD.replace('CONFIG_LIVEPATCH=y\n', ''),
    ]) {
      const error = userError(() => checkKernelConfig(text, 'build'));
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(/^the build's kernel configuration/);
      expect(error.message).toContain('CONFIG_LIVEPATCH is not set: the kernel has no livepatch core');
      expect((error as RefusedError).reasons.map((r) => r.category)).toEqual(['config-livepatch-missing']);
    }
  });

  it('lists every offending option, those sharing a reason on one line', () => {
    const text = [
      GOOD.replace('CONFIG_LIVEPATCH=y\n', '').replace('CONFIG_LTO_NONE=y\n', ''),
      'CONFIG_LTO=y',
      'CONFIG_LTO_CLANG=y',
      'CONFIG_LTO_CLANG_THIN=y',
      'CONFIG_GCC_PLUGIN_LATENT_ENTROPY=y',
      'CONFIG_RANDSTRUCT_FULL=y',
      '',
    ].join('\n');
    const error = userError(() => checkKernelConfig(text, 'running kernel'));
    expect(error.message).toContain('has 6 options with which');
    const lines = error.message.split('\n').slice(1);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ {2}CONFIG_LIVEPATCH is not set: /);
    expect(lines[1]).toMatch(/^ {2}CONFIG_RANDSTRUCT_FULL=y: /);
    expect(lines[2]).toMatch(/^ {2}CONFIG_GCC_PLUGIN_LATENT_ENTROPY=y: /);
    expect(lines[3]).toMatch(
      /^ {2}CONFIG_LTO_CLANG_THIN=y, CONFIG_LTO_CLANG=y, CONFIG_LTO=y: .*link-time optimization/,
    );
    expect((error as RefusedError).reasons.map((r) => r.category)).toEqual([
      'config-livepatch-missing',
      'config-randstruct',
      'config-latent-entropy',
      'config-lto',
    ]);
  });

  it("accepts an IBT kernel's configuration (the sealed-ENDBR rule is checked per module)", () => {
    expect(() => checkKernelConfig(`${GOOD}CONFIG_X86_KERNEL_IBT=y\n`, 'build')).not.toThrow();
  });

  it('counts a module value as set', () => {
    const error = userError(() =>
      checkKernelConfig(withLine('DEBUG_INFO_SPLIT', 'CONFIG_DEBUG_INFO_SPLIT=m'), 'build'),
    );
    expect(error.message).toContain('CONFIG_DEBUG_INFO_SPLIT=m');
  });

  it('reports a text without CONFIG_ lines as bad input, not as a refusal', () => {
    const error = userError(() => checkKernelConfig('<html>not found</html>\n', 'running kernel'));
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('not a kernel .config');
  });

  it('accepts the test kernel configuration the tool builds', async () => {
    // The options the test kernel asks for (on top of tinyconfig) break no rule.
    const { TEST_KERNEL_OPTIONS } = await import('../../../src/sources/test-kernel/options.js');
    const config = new Map(TEST_KERNEL_OPTIONS.map((o) => [o.name, o.value]));
    expect(configProblems(config).map((p) => p.rule.option)).toEqual([]);
  });
});

describe('CONFIG_POLICY', () => {
  it('names each option once, without the CONFIG_ prefix, with a reason', () => {
    const names = CONFIG_POLICY.map((rule) => rule.option);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of CONFIG_POLICY) {
      expect(rule.option).toMatch(/^[A-Z0-9_]+$/);
      expect(rule.option.startsWith('CONFIG_')).toBe(false);
      expect(rule.why.length).toBeGreaterThan(20);
    }
  });

  it('refuses every value of the RANDSTRUCT and LTO choices but NONE', () => {
    const parsed = parseKconfig(GOOD);
    for (const member of ['RANDSTRUCT_NONE', 'LTO_NONE']) {
      expect(configProblems(new Map([...parsed, [member, 'y']]))).toEqual([]);
    }
    for (const member of ['RANDSTRUCT_FULL', 'RANDSTRUCT_PERFORMANCE', 'LTO_CLANG_FULL', 'LTO_CLANG_THIN']) {
      expect(configProblems(new Map([...parsed, [member, 'y']])).map((p) => p.rule.option)).toEqual([member]);
    }
  });
});
