/**
 * The DWARF reader on objects gcc writes (DWARF 5, gcc's default, and DWARF 4): the layouts of
 * structs and unions (bit-fields, anonymous members, typedef'd anonymous structs), C type names,
 * the types a function uses, and the layouts that differ between two objects.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedLayouts, layoutChanges, readDwarf, type Dwarf } from '../../../src/dwarf/index.js';
import { readElfSync } from '../../../src/elf/index.js';
import { compileC, workDirectory } from '../diff/compile.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => workdir?.cleanup());

const VERSIONS = [
  ['DWARF 5', ['-gdwarf-5']],
  ['DWARF 4', ['-gdwarf-4']],
  ['DWARF 5 compressed with zlib (SHF_COMPRESSED)', ['-gdwarf-5', '-gz=zlib']],
] as const;

async function dwarf(name: string, source: string, flags: readonly string[]): Promise<Dwarf> {
  const directory = join(workdir.path, name);
  await mkdir(directory, { recursive: true });
  const object = await compileC(directory, flags.join('').replace(/\W/g, ''), source, flags);
  const read = readDwarf(readElfSync(object).sections);
  if (!read) throw new Error(`${object}: no DWARF`);
  return read;
}

function layout(d: Dwarf, key: string) {
  const found = d.layouts.definitions().get(key);
  expect(found, key).toHaveLength(1);
  return found![0]!;
}

const fields = (d: Dwarf, key: string) => layout(d, key).fields.map((f) => [f.name, f.bit, f.bits, f.type]);

const TYPES = `
typedef unsigned int u32;
typedef struct { int a; unsigned b:3, c:5; } anon_t;
struct inner { short q; };
struct s {
  int x;
  union { long l; char c[3]; };
  struct { short q; } named;
  anon_t t;
  const char *const *names;
  int (*open)(struct inner *, long);
  u32 flag:1, mode:4;
  struct inner in[2][3];
  char flex[];
};
union u { int i; struct inner in; };
int use_s(struct s *p, anon_t *q, union u *v) { return p->x + q->a + v->i; }
`;

describe.each(VERSIONS)('the layouts gcc gives in %s', (_version, flags) => {
  it('has every member with its bit offset, width and C type, anonymous members flattened', async () => {
    const d = await dwarf('types', TYPES, flags);
    expect(layout(d, 'struct s').size).toBe(64);
    expect(fields(d, 'struct s')).toEqual([
      ['x', 0, undefined, 'int'],
      ['l', 64, undefined, 'long int'],
      ['c', 64, undefined, 'char [3]'],
      ['named.q', 128, undefined, 'short int'],
      ['t', 160, undefined, 'anon_t'],
      ['names', 256, undefined, 'char const *const *'],
      ['open', 320, undefined, 'int (*)(struct inner *, long int)'],
      ['flag', 384, 1, 'u32'],
      ['mode', 385, 4, 'u32'],
      ['in', 400, undefined, 'struct inner [2][3]'],
      ['flex', 496, undefined, 'char []'],
    ]);
    expect(fields(d, 'anon_t')).toEqual([
      ['a', 0, undefined, 'int'],
      ['b', 32, 3, 'unsigned int'],
      ['c', 35, 5, 'unsigned int'],
    ]);
    expect(fields(d, 'union u')).toEqual([
      ['i', 0, undefined, 'int'],
      ['in', 0, undefined, 'struct inner'],
    ]);
  });

  it('reaches from a function every struct and union its parameters lead to', async () => {
    const d = await dwarf('types', TYPES, flags);
    const reached = d.used.reachableAggregates(d.used.directTypes('use_s', []));
    const keys = [...reached].map((offset) => d.layouts.keyOf(d.info.die(offset)!)).sort();
    // The anonymous union and struct members are reached too, but have no key of their own.
    expect(keys.filter((key) => key !== undefined)).toEqual(['anon_t', 'struct inner', 'struct s', 'union u']);
  });

  it('finds the changed layouts between two objects and says what changed', async () => {
    const source = (members: string) => `
struct ctx { long a; ${members} };
struct same { int z; };
int get(struct ctx *c, struct same *s) { return c->a + s->z; }
`;
    const before = await dwarf('before', source('int b; char c;'), flags);
    const after = await dwarf('after', source('int mid; int b; short c; long tail;'), flags);
    const changed = [...changedLayouts(before.layouts, after.layouts).values()];
    expect(changed.map((c) => c.after.key)).toEqual(['struct ctx']);
    expect(layoutChanges(changed[0]!.before, changed[0]!.after)).toEqual([
      "member 'mid' added at offset 8",
      "member 'b' moved from offset 8 to 12",
      "member 'c' changed type from char to short int",
      "member 'c' moved from offset 12 to 16",
      "member 'tail' added at offset 24",
      'size 16 -> 32',
    ]);
  });
});

describe('the types a function uses', () => {
  it('include its locals, inlined callees, return type and the globals it refers to', async () => {
    const d = await dwarf(
      'uses',
      `
struct local { int a; };
struct ret { int b; };
struct global { int c; };
struct inlined { int d; };
struct unused { int e; };
struct global config;
struct unused other;
static inline __attribute__((always_inline)) int helper(struct inlined *i) { return i->d; }
extern struct ret *make(void);
struct ret *fn(void *p) {
  struct local *l = p;
  config.c = helper(p) + l->a;
  return make();
}
int keep(void) { return other.e; }
`,
      ['-gdwarf-5'],
    );
    const keys = (globals: string[]) =>
      [...d.used.reachableAggregates(d.used.directTypes('fn', globals))]
        .map((offset) => d.layouts.keyOf(d.info.die(offset)!))
        .sort();
    expect(keys([])).toEqual(['struct inlined', 'struct local', 'struct ret']);
    expect(keys(['config'])).toEqual(['struct global', 'struct inlined', 'struct local', 'struct ret']);
  });
});
