import { describe, expect, it } from 'vitest';
import {
  checkModuleName,
  defaultModuleName,
  MAX_MODULE_NAME,
  RESERVED_MODULE_NAME,
} from '../../../src/emit/livepatch-name.js';
import { userError } from '../../support/user-error.js';

describe('defaultModuleName', () => {
  it('is livepatch-<patch file name> without directory and .patch/.diff, lower case, runs of other characters as one -', () => {
    expect(defaultModuleName('patches/0001-Fix_Proc Cmdline!!.patch')).toBe('livepatch-0001-fix-proc-cmdline');
    expect(defaultModuleName('/tmp/x/meminfo.diff')).toBe('livepatch-meminfo');
    expect(defaultModuleName('SHOUT.PATCH')).toBe('livepatch-shout');
    expect(defaultModuleName('cmdline-string.patch.orig')).toBe('livepatch-cmdline-string-patch-orig');
    expect(defaultModuleName('--weird--.patch')).toBe('livepatch-weird');
  });

  it('falls back to "patch" when nothing usable is left', () => {
    expect(defaultModuleName('!!!.patch')).toBe('livepatch-patch');
    expect(defaultModuleName('.patch')).toBe('livepatch-patch');
  });

  it('cuts at 55 characters without leaving a trailing -', () => {
    const long = defaultModuleName(`${'a'.repeat(100)}.patch`);
    expect(long).toBe(`livepatch-${'a'.repeat(MAX_MODULE_NAME - 'livepatch-'.length)}`);
    expect(long).toHaveLength(55);
    const cutAtDash = defaultModuleName(`${'b'.repeat(44)}--c${'d'.repeat(30)}.patch`);
    expect(cutAtDash).toBe(`livepatch-${'b'.repeat(44)}`);
  });

  it('never gives the reserved name of the generated C file', () => {
    expect(defaultModuleName('module.patch')).not.toBe(RESERVED_MODULE_NAME);
    expect(defaultModuleName('Module.diff')).toBe('livepatch-module-patch');
  });

  it('always gives a name checkModuleName accepts', () => {
    for (const path of [
      'a.patch',
      'module.patch',
      '!!!.diff',
      `${'x-'.repeat(60)}.patch`,
      'ünïcödé fix.patch',
      '0001-mm: fix it.patch',
    ]) {
      const name = defaultModuleName(path);
      expect(checkModuleName(name), path).toBe(name);
    }
  });
});

describe('checkModuleName', () => {
  it('accepts letters, digits, - and _ up to 55 characters', () => {
    expect(checkModuleName('livepatch_Fix-1')).toBe('livepatch_Fix-1');
    expect(checkModuleName('m'.repeat(55))).toBe('m'.repeat(55));
  });

  it('refuses other characters, empty names, long names and the reserved name, quoting --name', () => {
    for (const name of ['has.dot', 'has space', '', 'slash/name', 'é']) {
      expect(userError(() => checkModuleName(name)).message).toContain(`--name ${name}:`);
    }
    expect(userError(() => checkModuleName('m'.repeat(56))).message).toMatch(/at most 55 characters/);
    expect(userError(() => checkModuleName(RESERVED_MODULE_NAME)).message).toMatch(/reserved/);
  });
});
