import { describe, expect, it } from 'vitest';
import { keptLineNumbers } from '../../../src/patches/line-alignment.js';

const lines = (text: string) => text.split('');

describe('keptLineNumbers', () => {
  it('numbers every line of an unchanged file', () => {
    expect(keptLineNumbers(lines('abc'), lines('abc'))).toEqual([1, 2, 3]);
    expect(keptLineNumbers([], [])).toEqual([]);
  });

  it('leaves added lines unnumbered and skips the numbers of removed ones', () => {
    expect(keptLineNumbers(lines('abcd'), lines('aXbcd'))).toEqual([1, undefined, 2, 3, 4]);
    expect(keptLineNumbers(lines('abcd'), lines('ad'))).toEqual([1, 4]);
    expect(keptLineNumbers(lines('abcd'), lines('aXd'))).toEqual([1, undefined, 4]);
    expect(keptLineNumbers(lines('abcdefgh'), lines('XabcdYYefh'))).toEqual([
      undefined,
      1,
      2,
      3,
      4,
      undefined,
      undefined,
      5,
      6,
      8,
    ]);
  });

  it('keeps as many lines as can be kept', () => {
    const kept = keptLineNumbers(lines('abcabba'), lines('cbabac'))!;
    expect(kept.filter((n) => n !== undefined)).toHaveLength(4);
    // Kept lines are in order and equal to their originals.
    const numbers = kept.filter((n): n is number => n !== undefined);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    kept.forEach((n, i) => n === undefined || expect('abcabba'[n - 1]).toBe('cbabac'[i]));
  });

  it('gives up past the limit of added and removed lines', () => {
    expect(keptLineNumbers(lines('abcd'), lines('wxyz'), 7)).toBeUndefined();
    expect(keptLineNumbers(lines('abcd'), lines('wxyz'), 8)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
