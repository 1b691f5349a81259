/**
 * Small stand-ins for a vmlinux, linked by gcc at test time: an executable whose DWARF
 * defines some of the special-section entry structs (with sizes of the test's choosing), with
 * or without a build-id and debug info, optionally holding special-section entries between
 * vmlinux-style bound symbols. The struct sizes a test expects come from gcc itself (a program
 * printing sizeof), never from pahole.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface FakeKernel {
  /** C struct definitions, e.g. `struct jump_entry { int code; int target; long key; };`. */
  structs: Record<string, string>;
  debugInfo?: boolean;
  buildId?: boolean;
  /** Sections to fill with one 12-byte dummy entry between the given bound symbols. */
  entries?: Array<{ section: string; bounds: readonly [string, string] }>;
}

function source(kernel: FakeKernel): string {
  const lines = Object.values(kernel.structs);
  // A variable of each type, so that the DWARF describes it.
  for (const tag of Object.keys(kernel.structs)) lines.push(`struct ${tag} sample_${tag};`);
  for (const { section, bounds } of kernel.entries ?? []) {
    lines.push(
      `asm(".pushsection ${section},\\"a\\"\\n.globl ${bounds[0]}\\n${bounds[0]}:\\n.long 0,0,0\\n` +
        `.globl ${bounds[1]}\\n${bounds[1]}:\\n.popsection\\n");`,
    );
  }
  lines.push('void _start(void) { for (;;); }');
  return lines.join('\n') + '\n';
}

/** Links the fake kernel to `path` (overwriting it). */
export async function linkFakeKernel(path: string, kernel: FakeKernel): Promise<string> {
  const c = `${path}.c`;
  await writeFile(c, source(kernel));
  await execa('gcc', [
    kernel.debugInfo === false ? '-g0' : '-g',
    '-O0',
    '-nostdlib',
    '-static',
    `-Wl,--build-id=${kernel.buildId === false ? 'none' : 'sha1'}`,
    c,
    '-o',
    path,
  ]);
  return path;
}

/** sizeof(struct <tag>) for each struct, as gcc computes it. */
export async function gccSizes(directory: string, structs: Record<string, string>): Promise<Map<string, number>> {
  const tags = Object.keys(structs);
  const c = join(directory, 'sizes.c');
  const exe = join(directory, 'sizes');
  const prints = tags.map((tag) => `  printf("%s %zu\\n", "${tag}", sizeof(struct ${tag}));`);
  await writeFile(
    c,
    ['#include <stdio.h>', ...Object.values(structs), 'int main(void) {', ...prints, '  return 0;', '}', ''].join('\n'),
  );
  await execa('gcc', [c, '-o', exe]);
  const { stdout } = await execa(exe);
  return new Map(
    stdout
      .split('\n')
      .map((line) => line.split(' '))
      .map(([tag, size]) => [tag!, Number(size)]),
  );
}
