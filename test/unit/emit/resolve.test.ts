import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { readElf, STB_LOCAL, writeRelocatable, type ElfFile } from '../../../src/elf/index.js';
import { chooseTargetSymbol, resolveUndefinedSymbols, type ResolveContext } from '../../../src/emit/resolve.js';
import { parseSymvers } from '../../../src/kernel/symvers.js';
import { TargetSymbols } from '../../../src/emit/symbol-positions.js';
import { buildVmlinuxLike, compile, expectedPositions, readelfSymbols, type ReadelfSymbol } from './kernel-like.js';
import { userError } from '../../support/user-error.js';

let tmp: DirectoryResult;
let vmlinux: TargetSymbols;
let oracle: ReadelfSymbol[];
let module: TargetSymbols;

const EXPORTS = parseSymvers(
  '0x12345678\texported_fn\tvmlinux\tEXPORT_SYMBOL\t\n0x9abcdef0\tmod_exported\tdrivers/demo/demo_mod\tEXPORT_SYMBOL_GPL\t\n',
);

/** The patched a/common.c as the differ leaves it: statics it does not include are LOCAL undefined symbols. */
const PATCHED_COMMON = `extern int exported_fn(void);
extern int global_unexported;
extern int helper(int);
extern int a_only(int);
extern int dup(int);
extern int in_other_patch_object(int);
static __attribute__((noinline)) int new_local(int x) { return x * 2; }
int a_entry(int x)
{
	return helper(x) + a_only(x) + exported_fn() + global_unexported + dup(x) + in_other_patch_object(x) + new_local(x);
}
`;

/**
 * Compile SOURCE, make the named undefined symbols LOCAL as the differ writes references to
 * statics it leaves out, write the object and read it back.
 */
async function patchObject(name: string, source: string, locals: string[]): Promise<ElfFile> {
  const compiled = await readElf(await compile(tmp.path, `patch-${name}/common.c`, source));
  for (const symbol of compiled.symbols) if (locals.includes(symbol.name)) symbol.bind = STB_LOCAL;
  compiled.invalidateIndexes();
  const path = join(tmp.path, `patch-${name}.o`);
  await writeFile(path, writeRelocatable(compiled));
  return readElf(path);
}

function context(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    objectPath: 'a/common.o',
    sourceFile: 'common.c',
    originalLocals: new Set(['helper', 'a_only', 'a_counter']),
    target: 'vmlinux',
    vmlinux,
    exports: EXPORTS,
    definedInPatch: new Set(['in_other_patch_object', 'a_entry']),
    ...overrides,
  };
}

/** The position readelf's view gives the symbol NAME of file block BLOCK (-1: the global). */
const positionIn = (name: string, block: number) =>
  [...expectedPositions(oracle, name)].find(([symbol]) => symbol.block === block)?.[1];

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'klp-resolve-' });
  const path = await buildVmlinuxLike(tmp.path);
  vmlinux = await TargetSymbols.read('vmlinux', path);
  oracle = await readelfSymbols(path);
  const moduleObject = await compile(
    tmp.path,
    'demo/demo_mod.c',
    `static __attribute__((noinline, used)) int helper(int x) { return x + 100; }
static __attribute__((noinline, used)) int mod_static(int x) { return helper(x) * 2; }
int mod_exported(int x) { return mod_static(x); }
`,
  );
  const ko = join(tmp.path, 'demo_mod.ko');
  await execa('ld', ['-r', '-o', ko, moduleObject]);
  module = await TargetSymbols.read('demo_mod', ko);
});
afterAll(async () => tmp?.cleanup());

describe('resolveUndefinedSymbols for a vmlinux object', () => {
  it('keeps exported and patch-defined symbols, renames the others to .klp.sym names with their positions', async () => {
    const object = await patchObject('vmlinux', PATCHED_COMMON, ['helper', 'a_only']);
    expect(object.symbolByName('helper')?.isLocal).toBe(true);
    const resolutions = resolveUndefinedSymbols(object, context());
    const helperPos = positionIn('helper', 0);
    const dupPos = positionIn('dup', -1);
    expect(helperPos).toBe(2);
    expect(dupPos).toBe(2);
    expect([...resolutions].sort((a, b) => a.symbol.localeCompare(b.symbol))).toEqual([
      { symbol: 'a_only', how: 'klp', object: 'vmlinux', sympos: 0 },
      { symbol: 'dup', how: 'klp', object: 'vmlinux', sympos: dupPos },
      { symbol: 'exported_fn', how: 'exported' },
      { symbol: 'global_unexported', how: 'klp', object: 'vmlinux', sympos: 0 },
      { symbol: 'helper', how: 'klp', object: 'vmlinux', sympos: helperPos },
      { symbol: 'in_other_patch_object', how: 'patch' },
    ]);

    const written = join(tmp.path, 'resolved.o');
    await writeFile(written, writeRelocatable(object));
    const symbols = await readelfSymbols(written);
    const find = (name: string) => symbols.find((s) => s.name === name);
    for (const name of [
      '.klp.sym.vmlinux.a_only,0',
      `.klp.sym.vmlinux.dup,${dupPos}`,
      '.klp.sym.vmlinux.global_unexported,0',
      `.klp.sym.vmlinux.helper,${helperPos}`,
    ]) {
      expect(find(name), name).toMatchObject({ bind: 'GLOBAL', ndx: 'UND', type: 'NOTYPE' });
    }
    expect(find('exported_fn')).toMatchObject({ bind: 'GLOBAL', ndx: 'UND' });
    expect(find('in_other_patch_object')).toMatchObject({ bind: 'GLOBAL', ndx: 'UND' });
    expect(find('new_local')).toMatchObject({ bind: 'LOCAL', type: 'FUNC' });
    expect(find('a_entry')).toMatchObject({ bind: 'GLOBAL', type: 'FUNC' });
    expect(find('helper')).toBeUndefined();

    const { stdout } = await execa('readelf', ['-rW', written]);
    expect(stdout).toContain(`.klp.sym.vmlinux.helper,${helperPos}`);
    expect(stdout).toMatch(/R_X86_64_PLT32\s+0+ exported_fn - 4/);
  });

  it('picks among statics of the same name by file name, then by the other local names of the file', async () => {
    const object = await patchObject('choice', 'extern int helper(int);\nint f(int x) { return helper(x); }\n', [
      'helper',
    ]);
    const pick = (overrides: Partial<ResolveContext>) => {
      const copy = object.symbols.find((s) => s.name === 'helper' || s.name.startsWith('.klp.sym.vmlinux.helper,'))!;
      copy.name = 'helper';
      copy.bind = STB_LOCAL;
      object.invalidateIndexes();
      return resolveUndefinedSymbols(object, context(overrides))[0]?.sympos;
    };
    expect(pick({ sourceFile: 'other.c', originalLocals: new Set(['helper']) })).toBe(positionIn('helper', 2));
    expect(pick({ sourceFile: 'common.c', originalLocals: new Set(['helper', 'a_only']) })).toBe(
      positionIn('helper', 0),
    );
    expect(pick({ sourceFile: 'common.c', originalLocals: new Set(['helper', 'b_marker', 'dup']) })).toBe(
      positionIn('helper', 1),
    );
    expect(pick({ sourceFile: 'fresh.c', originalLocals: new Set(['b_marker']) })).toBe(positionIn('helper', 1));
  });

  it('takes the global of a name when the reference is global, the static of the file when it is local', async () => {
    const global = await patchObject('dup-global', 'extern int dup(int);\nint f(int x) { return dup(x); }\n', []);
    expect(resolveUndefinedSymbols(global, context())[0]).toEqual({
      symbol: 'dup',
      how: 'klp',
      object: 'vmlinux',
      sympos: positionIn('dup', -1),
    });
    const local = await patchObject('dup-local', 'extern int dup(int);\nint f(int x) { return dup(x); }\n', ['dup']);
    const resolved = resolveUndefinedSymbols(local, context({ originalLocals: new Set(['dup', 'b_marker']) }))[0];
    expect(resolved).toEqual({ symbol: 'dup', how: 'klp', object: 'vmlinux', sympos: positionIn('dup', 1) });
  });

  it('refuses a static whose file and local names leave two candidates, exit code 2', async () => {
    const object = await patchObject('ambiguous', 'extern int helper(int);\nint f(int x) { return helper(x); }\n', [
      'helper',
    ]);
    const error = userError(() => resolveUndefinedSymbols(object, context({ originalLocals: new Set(['helper']) })));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('a/common.o');
    expect(error.message).toContain("3 symbols named 'helper'");
  });

  it('refuses a symbol neither vmlinux nor any export has, naming it', async () => {
    const object = await patchObject(
      'unknown',
      'extern int nowhere_to_be_found(void);\nint f(void) { return nowhere_to_be_found(); }\n',
      [],
    );
    const error = userError(() => resolveUndefinedSymbols(object, context()));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("'nowhere_to_be_found'");
    expect(error.message).toContain('a/common.o');
  });
});

describe('chooseTargetSymbol (also the position of a replaced function)', () => {
  const otherC = { objectPath: 'other.o', sourceFile: 'other.c', originalLocals: new Set(['helper', 'other_only']) };
  const position = (name: string, local: boolean, from = otherC) => {
    const chosen = chooseTargetSymbol(vmlinux, name, local, from);
    return chosen && vmlinux.positionOf(chosen);
  };

  it('takes the global for a global function, even when a static of that name shares a local name with the file', () => {
    // b/common.c's static dup sits in a block that also has a 'helper', one of other.c's locals.
    expect(vmlinux.blockScore(vmlinux.named('dup')[0]!.block, otherC.originalLocals)).toBe(1);
    expect(position('dup', false)).toBe(positionIn('dup', -1));
  });

  it('takes the static of the file for a static function', () => {
    expect(position('helper', true)).toBe(positionIn('helper', 2));
    expect(
      position('dup', true, {
        objectPath: 'b/common.o',
        sourceFile: 'common.c',
        originalLocals: new Set(['dup', 'b_marker']),
      }),
    ).toBe(positionIn('dup', 1));
  });

  it('gives 0 for a unique name and nothing for an unknown one', () => {
    expect(position('other_entry', false)).toBe(0);
    expect(chooseTargetSymbol(vmlinux, 'not_there', false, otherC)).toBeUndefined();
  });

  it('refuses to guess between statics of files of the same name', () => {
    const from = { objectPath: 'x/common.o', sourceFile: 'common.c', originalLocals: new Set(['helper']) };
    expect(userError(() => chooseTargetSymbol(vmlinux, 'helper', true, from)).message).toContain('x/common.o');
  });
});

describe('resolveUndefinedSymbols for a module object', () => {
  it('resolves to the module first (klp names of the module), then exports, then vmlinux', async () => {
    const source = `extern int mod_static(int);
extern int helper(int);
extern int mod_exported(int);
extern int exported_fn(void);
extern int global_unexported;
int f(int x) { return mod_static(x) + helper(x) + mod_exported(x) + exported_fn() + global_unexported; }
`;
    const object = await patchObject('module', source, ['mod_static', 'helper']);
    const resolutions = resolveUndefinedSymbols(
      object,
      context({
        objectPath: 'demo/demo_mod.o',
        sourceFile: 'demo_mod.c',
        originalLocals: new Set(['helper', 'mod_static']),
        target: 'demo_mod',
        module,
      }),
    );
    expect(Object.fromEntries(resolutions.map((r) => [r.symbol, r]))).toEqual({
      mod_static: { symbol: 'mod_static', how: 'klp', object: 'demo_mod', sympos: 0 },
      helper: { symbol: 'helper', how: 'klp', object: 'demo_mod', sympos: 0 },
      mod_exported: { symbol: 'mod_exported', how: 'klp', object: 'demo_mod', sympos: 0 },
      exported_fn: { symbol: 'exported_fn', how: 'exported' },
      global_unexported: { symbol: 'global_unexported', how: 'klp', object: 'vmlinux', sympos: 0 },
    });
    const names = object.symbols.map((s) => s.name);
    expect(names).toContain('.klp.sym.demo_mod.mod_static,0');
    expect(names).toContain('.klp.sym.demo_mod.helper,0');
    expect(names).toContain('.klp.sym.vmlinux.global_unexported,0');
    expect(names).toContain('exported_fn');
  });

  it('says where it looked when a symbol is nowhere', async () => {
    const object = await patchObject(
      'module-unknown',
      'extern int absent(void);\nint f(void) { return absent(); }\n',
      [],
    );
    const error = userError(() => resolveUndefinedSymbols(object, context({ target: 'demo_mod', module })));
    expect(error.message).toContain('demo_mod or vmlinux');
  });
});
