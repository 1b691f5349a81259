/**
 * Small IBT kernel-like ELF files built with gcc -fcf-protection=branch and ld at test time: a
 * "vmlinux" whose seal list (`.ibt_endbr_seal` between `__ibt_endbr_seal` and
 * `__ibt_endbr_seal_end`, s32 entries relative to themselves, as objtool writes it) names some of
 * its functions, a "module" (ET_REL) with a seal list of its own, and livepatch-like objects
 * whose references to them go through the resolve and conversion steps of the pipeline.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readElf, type ElfFile } from '../../../src/elf/index.js';
import { convertToLivepatchFormat } from '../../../src/emit/convert.js';
import type { IbtTargets } from '../../../src/emit/check-ibt.js';
import { IbtTarget } from '../../../src/emit/ibt-targets.js';
import { resolveUndefinedSymbols } from '../../../src/emit/resolve.js';
import { parseSymvers } from '../../../src/kernel/symvers.js';
import { KERNEL_CFLAGS } from './kernel-like.js';

/** gcc -c with the kernel's flags and IBT's: ENDBR64 on every function that may be reached indirectly. */
export async function compileIbt(path: string, source: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, source);
  const object = path.replace(/\.c$/, '.o');
  await execa('gcc', [...KERNEL_CFLAGS, '-fcf-protection=branch', '-c', basename(path), '-o', basename(object)], {
    cwd: dirname(path),
  });
  return object;
}

/**
 * vmlinux's functions: sealed_fn and exported_sealed keep an ENDBR that the seal list names;
 * kept_fn's address is taken (kept_table), so it is not listed; plain_static is only called
 * directly, so gcc gives it no ENDBR at all.
 */
const KERNEL = `int sealed_fn(int x) { return x + 1; }
int exported_sealed(int x) { return x + 2; }
int kept_fn(int x) { return x + 3; }
static __attribute__((noinline)) int plain_static(int x) { return x * 3 + 4; }
int (*const kept_table[])(int) = { kept_fn };
int (*registered)(int);
void register_cb(int (*cb)(int)) { registered = cb; }
int entry(int x) { return plain_static(x) + sealed_fn(x) + exported_sealed(x); }
asm(".pushsection .ibt_endbr_seal, \\"a\\"\\n .long sealed_fn - .\\n .long exported_sealed - .\\n .popsection\\n");
`;

const SCRIPT = (seal: boolean) => `SECTIONS {
  . = 0xffffffff81000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.* .bss .bss.*) }
  ${seal ? '. = ALIGN(8); .ibt_endbr_seal : { __ibt_endbr_seal = .; *(.ibt_endbr_seal) __ibt_endbr_seal_end = .; }' : ''}
  /DISCARD/ : { *(.comment .note.* ${seal ? '' : '.ibt_endbr_seal'}) }
}
`;

/** A linked "vmlinux" (with its seal list, or without one: SEAL false). */
export async function buildIbtVmlinux(directory: string, seal = true): Promise<string> {
  const object = await compileIbt(join(directory, 'kernel/core.c'), KERNEL);
  const script = join(directory, `vmlinux-${seal}.lds`);
  await writeFile(script, SCRIPT(seal));
  const vmlinux = join(directory, seal ? 'vmlinux' : 'vmlinux-unsealed');
  await execa('ld', ['-o', vmlinux, '-T', script, '-e', '0', '--no-warn-rwx-segments', object]);
  return vmlinux;
}

/** A module (demo_mod): mod_sealed is in its seal list, mod_kept's address is taken. */
const MODULE = `int mod_sealed(int x) { return x - 1; }
int mod_kept(int x) { return x - 2; }
int (*const mod_table[])(int) = { mod_kept };
asm(".pushsection .ibt_endbr_seal, \\"a\\"\\n .long mod_sealed - .\\n .popsection\\n");
`;

export async function buildIbtModule(directory: string): Promise<string> {
  return compileIbt(join(directory, 'demo_mod/demo.c'), MODULE);
}

/** Module.symvers of the kernel: exported_sealed and register_cb are exported by vmlinux. */
export const IBT_EXPORTS = parseSymvers(
  '0x00000001\texported_sealed\tvmlinux\tEXPORT_SYMBOL\t\n0x00000002\tregister_cb\tvmlinux\tEXPORT_SYMBOL\t\n',
);

export async function ibtTargets(directory: string): Promise<IbtTargets> {
  const [vmlinux, module] = await Promise.all([
    buildIbtVmlinux(directory).then((path) => IbtTarget.read('vmlinux', path)),
    buildIbtModule(directory).then((path) => IbtTarget.read('demo_mod', path)),
  ]);
  return { vmlinux, modules: new Map([['demo_mod', module]]), exports: IBT_EXPORTS };
}

let counter = 0;

/**
 * A livepatch-like object from SOURCE for TARGET (vmlinux or demo_mod), its undefined symbols
 * resolved as the resolve stage does (exports stay undefined, the rest become .klp.sym names);
 * converted to the livepatch format unless CONVERT is false.
 */
export async function livepatchObject(
  directory: string,
  targets: IbtTargets,
  source: string,
  options: { target?: string; convert?: boolean } = {},
): Promise<ElfFile> {
  const target = options.target ?? 'vmlinux';
  const path = await compileIbt(join(directory, `patch-${counter++}/fix.c`), source);
  const model = await readElf(path);
  const module = targets.modules.get(target);
  resolveUndefinedSymbols(model, {
    objectPath: path,
    sourceFile: 'fix.c',
    originalLocals: new Set(),
    target,
    vmlinux: targets.vmlinux.symbols,
    ...(module ? { module: module.symbols } : {}),
    exports: targets.exports,
    definedInPatch: new Set(),
  });
  if (options.convert !== false) convertToLivepatchFormat(model);
  return model;
}
