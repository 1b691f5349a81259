/**
 * The patched functions of a livepatch module read from its klp_func arrays, with the module's
 * symbol of each replacement (what the guest puts a kprobe on to count its calls): a name that
 * no other symbol of the module has, a global alias first.
 */
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/elf/index.js';
import { livepatchFunctions, livepatchFunctionsInFile } from '../../../src/kernel/livepatch-functions.js';
import { fakeLivepatchModule } from '../deploy/fake-livepatch.js';

let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(async () => tmp.cleanup());

const STRUCTS = `
struct list_head { void *next, *prev; };
struct klp_func { const char *old_name; void *new_func; unsigned long old_sympos; void *old_func; char kobj[64]; struct list_head node; _Bool nop, patched, transition; };
struct klp_object { const char *name; struct klp_func *funcs; void *callbacks[4]; char kobj[64]; struct list_head func_list, node; void *mod; _Bool dynamic, patched; };
`;

/** Compile C files (each a string) and link them into one relocatable object, as a module is. */
async function module(name: string, sources: string[]): Promise<string> {
  const objects: string[] = [];
  for (const [i, source] of sources.entries()) {
    const c = join(tmp.path, `${name}-${i}.c`);
    await writeFile(c, STRUCTS + source);
    objects.push(c.replace(/\.c$/, '.o'));
    await execa('gcc', ['-O2', '-fno-pic', '-ffunction-sections', '-fdata-sections', '-c', c, '-o', objects[i]!]);
  }
  const ko = join(tmp.path, `${name}.ko`);
  await execa('ld', ['-r', '-o', ko, ...objects]);
  return ko;
}

describe('livepatchFunctions', () => {
  it("gives each function of each object with its sympos and the module's symbol of its replacement", async () => {
    const ko = await fakeLivepatchModule(tmp.path, {
      name: 'livepatch-fix',
      release: '6.1.0-57-amd64',
      objects: {
        vmlinux: [{ name: 'cmdline_proc_show' }, { name: 'helper', sympos: 2 }],
        binfmt_misc: [{ name: 'bm_status_read' }],
      },
    });
    expect(livepatchFunctions(await readElf(ko))).toEqual([
      {
        object: 'vmlinux',
        functions: [
          { name: 'cmdline_proc_show', sympos: 0, replacement: 'tsbp_new_cmdline_proc_show_0' },
          { name: 'helper', sympos: 2, replacement: 'tsbp_new_helper_1' },
        ],
      },
      {
        object: 'binfmt_misc',
        functions: [{ name: 'bm_status_read', sympos: 0, replacement: 'tsbp_new_bm_status_read_2' }],
      },
    ]);
    expect(await livepatchFunctionsInFile(ko)).toEqual(livepatchFunctions(await readElf(ko)));
  });

  it('names a static replacement by the global alias at its address, and none when no name is its alone', async () => {
    const ko = await module('statics', [
      `
static __attribute__((noinline, used)) void f(void) { asm volatile(""); }
void tsbp_new_f(void) __attribute__((alias("f")));
static __attribute__((noinline, used)) void g(void) { asm volatile("nop"); }
static __attribute__((noinline, used)) void h(void) { asm volatile("nop; nop"); }
static struct klp_func funcs_vmlinux[] = {
  { .old_name = "f", .new_func = f },
  { .old_name = "g", .new_func = g, .old_sympos = 3 },
  { .old_name = "h", .new_func = h },
  { }
};
__attribute__((used)) static struct klp_object objs[] = { { .name = 0, .funcs = funcs_vmlinux }, { } };
`,
      // Another object of the module with a static g of its own: "g" no longer names one function.
      'static __attribute__((noinline, used)) void g(void) { asm volatile("nop; nop; nop"); }\n',
    ]);
    expect(livepatchFunctions(await readElf(ko))).toEqual([
      {
        object: 'vmlinux',
        functions: [
          { name: 'f', sympos: 0, replacement: 'tsbp_new_f' },
          { name: 'g', sympos: 3, replacement: undefined },
          { name: 'h', sympos: 0, replacement: 'h' },
        ],
      },
    ]);
  });

  it('is undefined for a module that is no livepatch, and empty for one without the arrays', async () => {
    const plain = await module('plain', ['void f(void) {}\n']);
    expect(livepatchFunctions(await readElf(plain))).toEqual([]);
    expect(await livepatchFunctionsInFile(plain)).toBeUndefined();
  });
});
