/** Pure name rules used to correlate compiler-numbered elements. */
import { describe, expect, it } from 'vitest';
import {
  childFunctionParent,
  hasSpecialStaticName,
  namesMatchIgnoringNumbers,
  numberlessKey,
  withoutUniqueIdCounter,
} from '../../../src/diff/names.js';

describe('namesMatchIgnoringNumbers', () => {
  it.each([
    ['count.1234', 'count.7', true],
    ['foo.isra.0', 'foo.isra.3', true],
    ['foo.constprop.0.isra.0', 'foo.constprop.2.isra.1', true],
    ['foo', 'foo.12', true],
    ['foo.12', 'foo', true],
    ['foo.part.3', 'foo.cold.3', false],
    ['foo', 'bar', false],
    ['foo.12.3', 'foo', false],
    ['__UNIQUE_ID_ddebug1130.186', '__UNIQUE_ID_ddebug1131.186', true],
    ['__UNIQUE_ID_ddebug1130.186', '__UNIQUE_ID_other1130.186', false],
    // String-literal sections: the digits are alignment, compared exactly.
    ['.rodata.str1.1', '.rodata.str1.8', false],
    ['.rodata.foo.str1.1', '.rodata.foo.str1.1', true],
  ])('%s vs %s -> %s', (a, b, expected) => {
    expect(namesMatchIgnoringNumbers(a, b)).toBe(expected);
    if (expected) expect(numberlessKey(a)).toBe(numberlessKey(b));
  });
});

describe('withoutUniqueIdCounter', () => {
  it('drops the __COUNTER__ digits of __UNIQUE_ID names only', () => {
    expect(withoutUniqueIdCounter('__UNIQUE_ID___addressable_foo246')).toBe('__UNIQUE_ID___addressable_foo');
    expect(withoutUniqueIdCounter('__UNIQUE_ID_ddebug1130.186')).toBe('__UNIQUE_ID_ddebug.186');
    expect(withoutUniqueIdCounter('count246')).toBe('count246');
  });
});

describe('childFunctionParent', () => {
  it('finds the parent of split-off children', () => {
    expect(childFunctionParent('meminfo_proc_show.cold.3')).toEqual({ parent: 'meminfo_proc_show', kind: 'cold' });
    expect(childFunctionParent('work.cold')).toEqual({ parent: 'work', kind: 'cold' });
    expect(childFunctionParent('copy_process.part.8')).toEqual({ parent: 'copy_process', kind: 'part' });
    expect(childFunctionParent('foo.isra.0')).toBeUndefined();
    expect(childFunctionParent('foo')).toBeUndefined();
  });
});

describe('hasSpecialStaticName', () => {
  it.each([
    ['__key.12345', true],
    ['__warned.4', true],
    ['__func__.2', true],
    ['_rs.7', true],
    ['CSWTCH.33', true],
    ['foo.__key', true],
    ['my_func.__already_done.1', true],
    ['count.12', false],
    ['keyring.3', false],
  ])('%s -> %s', (name, expected) => {
    expect(hasSpecialStaticName(name)).toBe(expected);
  });
});
