/**
 * A kernel-like tree with built-in module names, built with gcc and ld at test time: a linked
 * "vmlinux" whose `__param` section holds three struct kernel_param (syscall.x32 as Debian's
 * arch/x86/entry/common.c names it, the core parameter panic, demo_drv.debug), and a modules
 * tree whose modules.builtin lists ext4 and demo-drv.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile } from '../emit/kernel-like.js';

const PARAMS = `struct kernel_param {
  const char *name; void *mod; const void *ops;
  unsigned short perm; signed char level; unsigned char flags;
  void *arg;
};
_Static_assert(sizeof(struct kernel_param) == 40, "x86_64 struct kernel_param");
static const char str_x32[] = "syscall.x32";
static const char str_panic[] = "panic";
static const char str_debug[] = "demo_drv.debug";
static int x32_enabled, panic_timeout, debug;
__attribute__((section("__param"), used, aligned(8)))
static const struct kernel_param params[] = {
  { .name = str_x32, .perm = 0444, .arg = &x32_enabled },
  { .name = str_panic, .perm = 0644, .arg = &panic_timeout },
  { .name = str_debug, .perm = 0644, .arg = &debug },
};
int read_params(void) { return x32_enabled + panic_timeout + debug; }
`;

const LINKER_SCRIPT = `SECTIONS {
  . = 0xffffffff81000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  __param : { *(__param) }
  .data : { *(.data .data.* .bss .bss.*) }
  /DISCARD/ : { *(.comment .note.*) }
}
`;

export interface BuiltinLike {
  vmlinux: string;
  modulesDir: string;
}

export async function buildBuiltinLike(directory: string): Promise<BuiltinLike> {
  const object = await compile(directory, 'params.c', PARAMS);
  const script = join(directory, 'vmlinux.lds');
  await writeFile(script, LINKER_SCRIPT);
  const vmlinux = join(directory, 'vmlinux');
  await execa('ld', ['-o', vmlinux, '-T', script, '-e', '0', '--no-warn-rwx-segments', object]);
  const modulesDir = join(directory, 'lib/modules/6.1.0-tsbp');
  await mkdir(modulesDir, { recursive: true });
  await writeFile(join(modulesDir, 'modules.builtin'), 'kernel/fs/ext4/ext4.ko\nkernel/drivers/demo/demo-drv.ko\n');
  return { vmlinux, modulesDir };
}
