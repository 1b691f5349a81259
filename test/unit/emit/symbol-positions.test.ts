import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir, type DirectoryResult } from 'tmp-promise';
import { TargetSymbols, type TargetSymbol } from '../../../src/emit/symbol-positions.js';
import {
  buildModuleLike,
  buildVmlinuxLike,
  expectedPositions,
  readelfSymbols,
  type ReadelfSymbol,
} from './kernel-like.js';

let tmp: DirectoryResult;
let vmlinux: TargetSymbols;
let oracle: ReadelfSymbol[];
let module: TargetSymbols;
let moduleOracle: ReadelfSymbol[];

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'klp-target-' });
  const path = await buildVmlinuxLike(tmp.path);
  vmlinux = await TargetSymbols.read('vmlinux', path);
  oracle = await readelfSymbols(path);
  const ko = await buildModuleLike(tmp.path);
  module = await TargetSymbols.read('mod', ko);
  moduleOracle = await readelfSymbols(ko);
});
afterAll(async () => tmp?.cleanup());

const same = (a: TargetSymbol, b: ReadelfSymbol) => a.value === b.value && a.name === b.name;

describe('TargetSymbols', () => {
  it('sees the three static helpers in symtab order a, b, other but at addresses other < a < b', () => {
    const inSymtab = oracle.filter((s) => s.name === 'helper');
    expect(inSymtab.map((s) => s.file)).toEqual(['common.c', 'common.c', 'other.c']);
    expect(inSymtab[2]!.value < inSymtab[0]!.value && inSymtab[0]!.value < inSymtab[1]!.value).toBe(true);
  });

  it('lists the symbols of a name in address order, with their file and file block', () => {
    const helpers = vmlinux.named('helper');
    expect(helpers.map((h) => [h.file, h.block, h.local])).toEqual([
      ['other.c', 2, true],
      ['common.c', 0, true],
      ['common.c', 1, true],
    ]);
    const values = helpers.map((h) => h.value);
    expect([...values].sort((a, b) => (a < b ? -1 : 1))).toEqual(values);
    expect(values.every((v) => v >= 0xffffffff81000000n)).toBe(true);
  });

  it('gives livepatch positions: N in address order when the name repeats, 0 when it is unique', () => {
    for (const name of ['helper', 'dup', 'a_only', 'exported_fn', 'global_unexported', 'a_counter']) {
      const expected = expectedPositions(oracle, name);
      expect(vmlinux.named(name)).toHaveLength(expected.size);
      for (const [readelf, position] of expected) {
        const symbol = vmlinux.named(name).find((s) => same(s, readelf));
        expect(symbol, `${name} at ${readelf.value.toString(16)}`).toBeDefined();
        expect(vmlinux.positionOf(symbol!)).toBe(position);
      }
    }
    expect(vmlinux.named('helper').map((h) => vmlinux.positionOf(h))).toEqual([1, 2, 3]);
    expect(vmlinux.positionOf(vmlinux.named('a_only')[0]!)).toBe(0);
  });

  it('counts a global and a static of the same name together, the global without a file', () => {
    const dup = vmlinux.named('dup');
    expect(dup.map((d) => [d.local, d.file, vmlinux.positionOf(d)])).toEqual([
      [true, 'common.c', 1],
      [false, undefined, 2],
    ]);
  });

  it('knows no undefined, section or file symbols', () => {
    expect(vmlinux.named('common.c')).toEqual([]);
    expect(vmlinux.named('')).toEqual([]);
    expect(vmlinux.named('no_such_symbol')).toEqual([]);
  });

  it("scores file blocks by how many of an object's local names they hold", () => {
    const [, firstCommon, secondCommon] = vmlinux.named('helper');
    const aLocals = ['helper', 'a_only', 'a_counter'];
    expect(vmlinux.blockScore(firstCommon!.block, aLocals)).toBe(3);
    expect(vmlinux.blockScore(secondCommon!.block, aLocals)).toBe(1);
    expect(vmlinux.blockScore(secondCommon!.block, ['helper', 'b_marker', 'dup'])).toBe(3);
    expect(vmlinux.blockScore(-1, aLocals)).toBe(0);
    expect(vmlinux.blockScore(99, aLocals)).toBe(0);
  });
});

describe('TargetSymbols of a module', () => {
  it('sees the two static helpers in symtab order first, second but at section offsets second < first', () => {
    const inSymtab = moduleOracle.filter((s) => s.name === 'helper');
    expect(inSymtab.map((s) => s.file)).toEqual(['first.c', 'second.c']);
    expect(inSymtab[1]!.value < inSymtab[0]!.value).toBe(true);
  });

  it("gives livepatch positions in symbol-table order, as the kernel walks a module's symbols", () => {
    const helpers = module.named('helper');
    expect(helpers.map((h) => [h.file, module.positionOf(h)])).toEqual([
      ['first.c', 1],
      ['second.c', 2],
    ]);
    const inSymtab = moduleOracle.filter((s) => s.name === 'helper');
    inSymtab.forEach((readelf, i) => {
      const symbol = helpers.find((h) => h.file === readelf.file && h.value === readelf.value);
      expect(symbol && module.positionOf(symbol)).toBe(i + 1);
    });
    expect(module.positionOf(module.named('first_entry')[0]!)).toBe(0);
    expect(module.order).toBe('symtab');
    expect(vmlinux.order).toBe('address');
  });
});
