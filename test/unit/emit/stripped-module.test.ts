import { describe, expect, it } from 'vitest';
import {
  ElfSymbol,
  SHN_ABS,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FUNC,
  STT_OBJECT,
  type SymbolInit,
} from '../../../src/elf/index.js';
import { chooseTargetSymbol } from '../../../src/emit/resolve.js';
import { TargetSymbols } from '../../../src/emit/symbol-positions.js';
import { UserError } from '../../../src/util/errors.js';

const fn = (name: string, size: number, bind = STB_LOCAL): ElfSymbol =>
  new ElfSymbol({ name, size, type: STT_FUNC, bind, shndx: SHN_ABS } satisfies SymbolInit);
const obj = (name: string, size: number): ElfSymbol =>
  new ElfSymbol({ name, size, type: STT_OBJECT, bind: STB_LOCAL, shndx: SHN_ABS });

// Debian's modules have no STT_FILE symbols. minix.ko, as linked: itree_v1.o's locals, then
// itree_v2.o's, both with a block_to_path.isra.0 (from the same-named static of each file).
const MINIX = [
  new ElfSymbol({ name: '' }),
  fn('count_free', 130),
  fn('block_to_path.isra.0', 125),
  fn('block_to_path.isra.0.cold', 24),
  fn('free_branches', 201),
  fn('get_block', 1728),
  obj('pointers_lock', 8),
  fn('block_to_path.isra.0', 305),
  fn('block_to_path.isra.0.cold', 24),
  fn('free_branches', 201),
  fn('truncate', 1330),
  fn('get_block', 1712),
  obj('pointers_lock', 8),
  fn('minix_lookup', 94),
  fn('minix_iget', 300, STB_GLOBAL),
];
const ITREE_V2 = [
  { name: 'block_to_path.isra.0', size: 305 },
  { name: 'block_to_path.isra.0.cold', size: 24 },
  { name: 'free_branches', size: 201 },
  { name: 'truncate', size: 1330 },
  { name: 'get_block', size: 1712 },
  { name: 'pointers_lock', size: 8 },
];
const ITREE_V1 = [
  { name: 'block_to_path.isra.0', size: 125 },
  { name: 'block_to_path.isra.0.cold', size: 24 },
  { name: 'free_branches', size: 201 },
  { name: 'get_block', size: 1728 },
  { name: 'pointers_lock', size: 8 },
];

const from = (path: string, sequence: typeof ITREE_V1) => ({
  objectPath: path,
  sourceFile: path.split('/').pop()!.replace(/\.o$/, '.c'),
  originalLocals: new Set(sequence.map((s) => s.name)),
  originalLocalSequence: sequence,
});

describe('same-named statics of a module without STT_FILE symbols', () => {
  const module = new TargetSymbols('minix', MINIX, 'symtab');

  it("picks the one around which the object's own locals line up (names, sizes, order)", () => {
    const v2 = chooseTargetSymbol(module, 'block_to_path.isra.0', true, from('fs/minix/itree_v2.o', ITREE_V2));
    expect(v2 && module.positionOf(v2)).toBe(2);
    const v1 = chooseTargetSymbol(module, 'get_block', true, from('fs/minix/itree_v1.o', ITREE_V1));
    expect(v1 && module.positionOf(v1)).toBe(1);
  });

  it('refuses when nothing tells them apart (same sizes around both)', () => {
    const twins = new TargetSymbols(
      'twins',
      [new ElfSymbol({ name: '' }), fn('helper', 10), fn('other', 5), fn('helper', 10), fn('other', 5)],
      'symtab',
    );
    expect(() =>
      chooseTargetSymbol(
        twins,
        'helper',
        true,
        from('a/x.o', [
          { name: 'helper', size: 10 },
          { name: 'other', size: 5 },
        ]),
      ),
    ).toThrow(UserError);
  });

  it("refuses when the object's symbol matches neither (changed size in the running kernel)", () => {
    expect(() =>
      chooseTargetSymbol(
        module,
        'block_to_path.isra.0',
        true,
        from('fs/minix/itree_v2.o', [{ name: 'block_to_path.isra.0', size: 999 }]),
      ),
    ).toThrow(/cannot tell which/);
  });
});
