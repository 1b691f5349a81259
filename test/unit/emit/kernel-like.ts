/**
 * Small kernel-like ELF files built with gcc and ld at test time: a "vmlinux" whose symbol
 * table has static functions of the same name in files of the same and of different names,
 * and patch-like relocatable objects.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const KERNEL_CFLAGS = [
  '-O2',
  '-ffunction-sections',
  '-fdata-sections',
  '-fno-pic',
  '-mcmodel=kernel',
  '-mno-red-zone',
  '-fno-asynchronous-unwind-tables',
  '-fno-common',
];

/** Compile DIR/RELATIVE (written from SOURCE) in its own directory, so STT_FILE is its base name. */
export async function compile(directory: string, relative: string, source: string): Promise<string> {
  const c = join(directory, relative);
  await mkdir(dirname(c), { recursive: true });
  await writeFile(c, source);
  const object = c.replace(/\.c$/, '.o');
  await execa('gcc', [...KERNEL_CFLAGS, '-c', basename(c), '-o', basename(object)], { cwd: dirname(c) });
  return object;
}

const FIRST_COMMON = `int shared_global;
static int a_counter;
static __attribute__((noinline, used)) int helper(int x) { return x + a_counter++; }
static __attribute__((noinline, used)) int a_only(int x) { return helper(x) * 3; }
int a_entry(int x) { return a_only(x) + helper(x); }
`;

const SECOND_COMMON = `static __attribute__((noinline, used)) int helper(int x) { return x * 7; }
static __attribute__((noinline, used)) int b_marker(int x) { return helper(x) - 1; }
static __attribute__((noinline, used)) int dup(int x) { return x ^ 5; }
int b_entry(int x) { return b_marker(x) + dup(x); }
`;

/** other.c's helper goes to .text.early, which the link puts first: address order then differs from symtab order. */
const OTHER = `static __attribute__((noinline, used, section(".text.early"))) int helper(int x) { return x - 11; }
int dup(int x) { return x + helper(x); }
int exported_fn(void) { return 1; }
int global_unexported = 3;
static volatile int other_only = 4;
int other_entry(int x) { return helper(x) + other_only; }
`;

const LINKER_SCRIPT = `SECTIONS {
  . = 0xffffffff81000000;
  .text : { *(.text.early) *(.text .text.*) }
  .data : { *(.data .data.* .bss .bss.*) }
  /DISCARD/ : { *(.comment .note.*) }
}
`;

/**
 * A linked "vmlinux" at kernel addresses from three files: a/common.c, b/common.c (same file
 * name) and other.c, each with a static `helper`; b/common.c has a static `dup` and other.c a
 * global one. Symbol table order: a, b, other; address order of the helpers: other, a, b.
 */
export async function buildVmlinuxLike(directory: string): Promise<string> {
  const objects = [
    await compile(directory, 'a/common.c', FIRST_COMMON),
    await compile(directory, 'b/common.c', SECOND_COMMON),
    await compile(directory, 'other.c', OTHER),
  ];
  const combined = join(directory, 'vmlinux.o');
  await execa('ld', ['-r', '-o', combined, ...objects]);
  const script = join(directory, 'vmlinux.lds');
  await writeFile(script, LINKER_SCRIPT);
  const vmlinux = join(directory, 'vmlinux');
  await execa('ld', ['-o', vmlinux, '-T', script, '-e', '0', '--no-warn-rwx-segments', combined]);
  return vmlinux;
}

export interface ReadelfSymbol {
  name: string;
  value: bigint;
  type: string;
  bind: string;
  ndx: string;
  /** The STT_FILE entry before it (for locals), with its block number. */
  file: string | undefined;
  block: number;
}

/** `readelf -sW` of the static symbol table, parsed: an oracle independent of src/elf. */
export async function readelfSymbols(path: string): Promise<ReadelfSymbol[]> {
  const { stdout } = await execa('readelf', ['-sW', path]);
  const symbols: ReadelfSymbol[] = [];
  let file: string | undefined;
  let block = -1;
  let inSymtab = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('Symbol table')) inSymtab = line.includes("'.symtab'");
    const match = /^\s*\d+: ([0-9a-f]+)\s+\d+ (\w+)\s+(\w+)\s+\w+\s+(\w+)\s*(.*)$/.exec(line);
    if (!inSymtab || !match) continue;
    const [, value, type, bind, ndx, name] = match as unknown as [string, string, string, string, string, string];
    if (type === 'FILE') {
      file = name;
      block++;
      continue;
    }
    symbols.push({
      name,
      value: BigInt(`0x${value}`),
      type,
      bind,
      ndx,
      file: bind === 'LOCAL' ? file : undefined,
      block: bind === 'LOCAL' ? block : -1,
    });
  }
  return symbols;
}

/** livepatch's position of each symbol named NAME, from readelf: 1.. in address order, 0 if unique. */
export function expectedPositions(symbols: readonly ReadelfSymbol[], name: string): Map<ReadelfSymbol, number> {
  const named = symbols.filter((s) => s.name === name).sort((a, b) => (a.value < b.value ? -1 : 1));
  return new Map(named.map((s, i) => [s, named.length === 1 ? 0 : i + 1]));
}

/** Only a function at the start of .text.mod, so that first.c's helper lands further in. */
const MODULE_ZERO = `__attribute__((noinline, used, section(".text.mod"))) int mod_first(int x) { return x * 3 + 1; }
`;

const MODULE_FIRST = `static __attribute__((noinline, used, section(".text.mod"))) int helper(int x) { return x + 1; }
int first_entry(int x) { return helper(x); }
`;

const MODULE_SECOND = `static __attribute__((noinline, used, section(".text.unlikely"))) int helper(int x) { return x - 1; }
int second_entry(int x) { return helper(x); }
`;

/**
 * A module (`ld -r`, as modpost links a .ko) from zero.c, first.c and second.c; first.c and
 * second.c each have a static `helper`. Symbol-table order: first's, then second's. But
 * first's sits after zero.c's function in .text.mod and second's at the start of
 * .text.unlikely, so by st_value (offsets in their sections) second's comes first.
 */
export async function buildModuleLike(directory: string): Promise<string> {
  const objects = [
    await compile(directory, 'mod/zero.c', MODULE_ZERO),
    await compile(directory, 'mod/first.c', MODULE_FIRST),
    await compile(directory, 'mod/second.c', MODULE_SECOND),
  ];
  const ko = join(directory, 'mod.ko');
  await execa('ld', ['-r', '-o', ko, ...objects]);
  return ko;
}
