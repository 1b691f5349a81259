/**
 * Livepatch-like modules made with gcc at test time: the klp_func / klp_object / klp_patch
 * arrays laid out as in the kernel's livepatch.h (x86_64), a .modinfo with name, vermagic,
 * livepatch, description and what the loader reads (atomic replace, the stream). Not loadable;
 * enough for everything that reads a module's ELF (kmod's modinfo included).
 */
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPLACE_KEY, STREAM_KEY, STREAM_VERSION_KEY, type StreamIdentity } from '../../../src/kernel/stream-facts.js';

export interface FakeLivepatch {
  name: string;
  release: string;
  replace?: boolean;
  /** The stream the module is a build of. */
  stream?: StreamIdentity;
  patches?: string[];
  /** object name (vmlinux for NULL) → functions */
  objects?: Record<string, { name: string; sympos?: number }[]>;
}

const cString = (s: string) => JSON.stringify(s);

export async function fakeLivepatchModule(directory: string, spec: FakeLivepatch): Promise<string> {
  const objects = spec.objects ?? { vmlinux: [{ name: 'cmdline_proc_show' }] };
  const arrays: string[] = [];
  const entries: string[] = [];
  let n = 0;
  for (const [object, functions] of Object.entries(objects)) {
    const id = object.replace(/[^A-Za-z0-9_]/g, '_');
    const funcs = functions.map((f) => {
      const replacement = `tsbp_new_${f.name}_${n++}`;
      arrays.push(`void ${replacement}(void) {}`);
      return `  { .old_name = ${cString(f.name)}, .new_func = ${replacement}, .old_sympos = ${f.sympos ?? 0} },`;
    });
    arrays.push(`static struct klp_func funcs_${id}[] = {\n${funcs.join('\n')}\n  { }\n};`);
    entries.push(`  { .name = ${object === 'vmlinux' ? 'NULL' : cString(object)}, .funcs = funcs_${id} },`);
  }
  const modinfo = [
    `name=${spec.name}`,
    `vermagic=${spec.release} SMP preempt mod_unload modversions `,
    'livepatch=Y',
    `description=livepatch built by tsbuild-patch from ${(spec.patches ?? ['fix.patch']).join(', ')}`,
    `${REPLACE_KEY}=${spec.replace === false ? 'N' : 'Y'}`,
    ...(spec.stream ? [`${STREAM_KEY}=${spec.stream.name}`, `${STREAM_VERSION_KEY}=${spec.stream.version}`] : []),
  ];
  const source = `#include <stddef.h>
struct list_head { void *next, *prev; };
struct klp_func { const char *old_name; void *new_func; unsigned long old_sympos; void *old_func; char kobj[64]; struct list_head node; _Bool nop, patched, transition; };
struct klp_object { const char *name; struct klp_func *funcs; void *callbacks[4]; char kobj[64]; struct list_head func_list, node; void *mod; _Bool dynamic, patched; };
struct klp_patch { void *mod; struct klp_object *objs; void *states; _Bool replace; char kobj[64]; struct list_head obj_list; _Bool enabled, forced; };
${arrays.join('\n')}
static struct klp_object objs[] = {
${entries.join('\n')}
  { }
};
__attribute__((used)) static struct klp_patch patch = { .objs = objs, .replace = ${spec.replace === false ? 0 : 1} };
__attribute__((used, section(".modinfo"))) static const char modinfo[] = ${modinfo.map((m) => cString(m).slice(0, -1) + '\\0"').join(' ')};
`;
  const c = join(directory, `${spec.name}-${spec.release}.c`);
  await writeFile(c, source);
  const ko = join(directory, `${spec.name}-${spec.release}.ko`);
  await execa('gcc', ['-O2', '-fno-pic', '-fdata-sections', '-ffunction-sections', '-c', c, '-o', ko]);
  return ko;
}
