/**
 * A patch that changes the layout of a struct or union its changed functions use is refused
 * (category struct-layout-changed), naming the type, the member and the function; a patch
 * that keeps every layout (new data through a shadow variable, a new type of its own, a
 * change to a function that does not use the changed type) is not. Objects compiled with -g
 * like kernel objects, in DWARF 5 (gcc 12 and 14's default) and DWARF 4.
 */
import type { DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffObjects, type DiffResult } from '../../../src/diff/diff-objects.js';
import { compilePair, workDirectory } from './compile.js';

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => workdir?.cleanup());

async function diff(name: string, original: string, patched: string, flags: readonly string[]): Promise<DiffResult> {
  return diffObjects(await compilePair(workdir, name, original, patched, flags));
}

const reasons = (result: DiffResult) => result.refusals.map((r) => r.reason);

function expectLayoutRefusal(result: DiffResult, ...patterns: RegExp[]): void {
  expect(result.outcome).toBe('refused');
  expect(result.refusals.map((r) => r.category)).toEqual(result.refusals.map(() => 'struct-layout-changed'));
  for (const pattern of patterns) expect(reasons(result).join('\n')).toMatch(pattern);
}

/** A context struct with MEMBERS, and foo_open, which uses it (and returns VALUE). */
const CTX = (members: string, value = 1) => `
struct foo_ctx { long id; ${members} };
int helper(struct foo_ctx *ctx);
int foo_open(struct foo_ctx *ctx) { return helper(ctx) + ${value}; }
int unrelated(int x) { return x * 3; }
`;

describe.each([
  ['DWARF 5', ['-g']],
  ['DWARF 4', ['-gdwarf-4']],
] as const)('struct layouts (%s)', (version, flags) => {
  const name = (n: string) => `${n}-${version.replace(' ', '')}`;

  it('refuses a member added in the middle, naming the type, the member, the function', async () => {
    const result = await diff(name('middle'), CTX('int bar; int baz;'), CTX('int added; int bar; int baz;', 2), flags);
    expect(reasons(result)).toEqual([
      "struct foo_ctx changed layout (member 'added' added at offset 8; member 'bar' moved from offset 8 to 12; " +
        "member 'baz' moved from offset 12 to 16; size 16 -> 24), used by foo_open(); existing kernel data keeps " +
        'the old layout; use a shadow variable (klp_shadow_*) instead',
    ]);
    expectLayoutRefusal(result);
  });

  it('refuses a member appended at the end (old code allocated the old size)', async () => {
    const padding = await diff(name('appended'), CTX('int bar;'), CTX('int bar; int tail;', 2), flags);
    expectLayoutRefusal(
      padding,
      /^struct foo_ctx changed layout \(member 'tail' added at offset 12\), used by foo_open\(\)/,
    );
    const grown = await diff(name('grown'), CTX('int bar;'), CTX('int bar; long tail;', 2), flags);
    expectLayoutRefusal(grown, /^struct foo_ctx changed layout \(member 'tail' added at offset 16; size 16 -> 24\)/);
  });

  it('refuses a member retyped or moved', async () => {
    const retyped = await diff(name('retyped'), CTX('int bar;'), CTX('long bar;', 2), flags);
    expectLayoutRefusal(retyped, /^struct foo_ctx changed layout \(member 'bar' changed type from int to long int\)/);
    const swapped = await diff(name('swapped'), CTX('int bar; int baz;'), CTX('int baz; int bar;', 2), flags);
    expectLayoutRefusal(swapped, /member 'baz' moved from offset 12 to 8; member 'bar' moved from offset 8 to 12/);
  });

  it('refuses a union whose member changed', async () => {
    const source = (member: string, value: number) => `
union foo_val { int i; ${member} };
int foo_get(union foo_val *v) { return v->i + ${value}; }
`;
    const result = await diff(name('union'), source('short s;', 1), source('long long big;', 2), flags);
    expectLayoutRefusal(
      result,
      /^union foo_val changed layout \(member 'big' added at offset 0; member 's' removed from offset 0; size 4 -> 8\), used by foo_get\(\)/,
    );
  });

  it('refuses a typedef of an anonymous struct, known by the typedef name', async () => {
    const source = (member: string, value: number) => `
typedef struct { int count; ${member} } foo_stats_t;
int foo_count(foo_stats_t *s) { return s->count + ${value}; }
`;
    const result = await diff(name('typedef'), source('', 1), source('int errors;', 2), flags);
    expectLayoutRefusal(result, /^foo_stats_t changed layout \(member 'errors' added at offset 4; size 4 -> 8\)/);
  });

  it('refuses a bit-field widened, and a member moved inside an anonymous union', async () => {
    const bits = (width: number, value: number) => `
struct foo_flags { unsigned int mode:${width}, dirty:1; };
int foo_dirty(struct foo_flags *f) { return f->dirty + ${value}; }
`;
    const widened = await diff(name('bits'), bits(3, 1), bits(4, 2), flags);
    expectLayoutRefusal(
      widened,
      /member 'mode' changed width from 3 bits to 4 bits; member 'dirty' moved from bit offset 3 to bit offset 4/,
    );
    const anonymous = (members: string, value: number) => `
struct foo_node { int kind; union { struct { ${members} }; long raw; }; };
long foo_raw(struct foo_node *n) { return n->raw + ${value}; }
`;
    const inner = await diff(name('anonymous'), anonymous('int a; int b;', 1), anonymous('int a; long b;', 2), flags);
    expectLayoutRefusal(
      inner,
      /^struct foo_node changed layout \(member 'b' changed type from int to long int; member 'b' moved from offset 12 to 16; size 16 -> 24\)/,
    );
  });

  it('refuses a struct reached through a pointer member, and through a global the function uses', async () => {
    const chain = (member: string, value: number) => `
struct foo_inner { int a; ${member} };
struct foo_outer { struct foo_inner *inner; };
int foo_walk(struct foo_outer *o) { return o->inner->a + ${value}; }
`;
    const through = await diff(name('pointer'), chain('', 1), chain('int b;', 2), flags);
    expectLayoutRefusal(through, /^struct foo_inner changed layout .* used by foo_walk\(\)/);
    const global = (member: string, value: number) => `
struct foo_config { int level; ${member} };
extern struct foo_config foo_config_data;
int foo_level(void) { return foo_config_data.level + ${value}; }
`;
    const result = await diff(name('global'), global('', 1), global('int verbose;', 2), flags);
    expectLayoutRefusal(
      result,
      /^struct foo_config changed layout \(member 'verbose' added at offset 4; size 4 -> 8\), used by foo_level\(\)/,
    );
  });

  it('does not refuse a changed function that does not use the changed struct', async () => {
    const source = (members: string, factor: number) => `
struct foo_ctx { long id; ${members} };
long foo_id(struct foo_ctx *ctx) { return ctx->id; }
int unrelated(int x) { return x * ${factor}; }
`;
    const result = await diff(name('unrelated'), source('int bar;', 3), source('int bar; int more;', 5), flags);
    expect(result.refusals).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['unrelated']);
  });

  it('does not refuse new data added through a shadow variable, nor a new struct of the patch', async () => {
    const original = `
struct foo_ctx { long id; int bar; };
int helper(struct foo_ctx *ctx);
int foo_open(struct foo_ctx *ctx) { return helper(ctx); }
`;
    const patched = `
struct foo_ctx { long id; int bar; };
struct foo_ctx_extra { int opened; long when; };
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, unsigned long size, unsigned int gfp, void *ctor, void *data);
int helper(struct foo_ctx *ctx);
int foo_open(struct foo_ctx *ctx) {
  struct foo_ctx_extra *extra = klp_shadow_get_or_alloc(ctx, 1, sizeof(*extra), 0, 0, 0);
  if (extra) extra->opened++;
  return helper(ctx);
}
`;
    const result = await diff(name('shadow'), original, patched, flags);
    expect(result.refusals).toEqual([]);
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['foo_open']);
  });
});

describe('struct layouts without DWARF', () => {
  it('are not checked, and a note says so', async () => {
    const result = await diff('no-dwarf', CTX('int bar;'), CTX('int bar; int tail;', 2), []);
    expect(result.outcome).toBe('changed');
    expect(result.notes).toContainEqual(expect.stringMatching(/^struct layouts not checked: .*orig\.o has no DWARF/));
  });
});
