import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Assembles (with `as`, which is much quicker than gcc for this) an object with one
 * `.text.fN` section per function f0..f{count-1}, so that with 65,280 or more sections binutils
 * writes it with extended section numbering. Odd functions are local (static), even ones
 * global. Beyond them: an absolute and a common symbol, an undefined one, a COMDAT group and
 * a relocation section at the end of the table that refers to symbols of high and low sections.
 */
export async function assembleManySections(dir: string, count: number): Promise<string> {
  const lines = ['.globl abs_sym', '.set abs_sym, 0x1234', '.comm common_var,8,8'];
  for (let i = 0; i < count; i++) {
    lines.push(`.section .text.f${i},"ax",@progbits`);
    if (i % 2 === 0) lines.push(`.globl f${i}`);
    lines.push(`.type f${i},@function`, `f${i}:`, 'ret', `.size f${i},1`);
  }
  lines.push(
    '.section .text.grouped,"axG",@progbits,grouped,comdat',
    '.globl grouped',
    '.type grouped,@function',
    'grouped:',
    'ret',
    '.section .text.last,"ax",@progbits',
    '.globl last',
    '.type last,@function',
    'last:',
    'call ext_fn',
    `call f${count - 1}`,
    'call f1',
    'call grouped',
    'movq common_var(%rip), %rax',
    'ret',
  );
  const source = join(dir, 'many-sections.s');
  const object = join(dir, 'many-sections.o');
  await writeFile(source, `${lines.join('\n')}\n`);
  await execa('as', ['--64', '-o', object, source]);
  return object;
}
