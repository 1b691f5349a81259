/**
 * Objects of a kernel built with call padding and IBT (Debian 13: -fpatchable-function-entry=16,16,
 * -fcf-protection=branch), compiled alone as a prepared tree does: each function follows 16 NOP
 * bytes in its own section and no `__pfx_` symbol names them (objtool, which would, runs only on
 * the linked kernel and module).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryResult } from 'tmp-promise';
import { diffObjects } from '../../../src/diff/diff-objects.js';
import { writePatchObject } from '../../../src/diff/output.js';
import { readElf } from '../../../src/elf/index.js';
import { compileC, workDirectory } from './compile.js';
import { readelf } from './binutils.js';

const PADDED = ['-fpatchable-function-entry=16,16', '-fcf-protection=branch'];

const BASE = `
int helper_a(int x);
int stable(int x) { return helper_a(x) + 1; }
int edited(int x) { return helper_a(x) * 3; }
`;

let workdir: DirectoryResult;
beforeAll(async () => {
  workdir = await workDirectory();
});
afterAll(async () => {
  await workdir.cleanup();
});

describe('call padding without __pfx_ symbols', () => {
  it('finds each function after its padding and diffs it, padding included', async () => {
    const original = await compileC(workdir.path, 'pad-orig', BASE, PADDED);
    const patched = await compileC(workdir.path, 'pad-patched', BASE.replace('* 3', '* 5'), PADDED);
    const elf = await readElf(original);
    const edited = elf.symbols.find((s) => s.name === 'edited')!;
    expect(Number(edited.value)).toBe(16);
    expect(elf.symbols.some((s) => s.name.startsWith('__pfx_'))).toBe(false);

    const result = diffObjects({ original, patched, lineNumbers: 'kept' });
    expect(result.outcome).toBe('changed');
    expect(result.changedFunctions).toEqual(['edited']);
    const out = join(workdir.path, 'pad-out.o');
    writePatchObject(result.patched, out);
    // The function keeps its place after the padding, and ftrace finds its call after the ENDBR.
    expect(readelf(['-sW', out])).toMatch(/\s0+10\s+\d+\s+FUNC\s+LOCAL\s+DEFAULT\s+\d+\s+edited$/m);
    expect(readelf(['-rW', out])).toMatch(/\.rela__mcount_loc[\s\S]*R_X86_64_64\s+0+10\s+edited \+ 4/);
  });

  it('still refuses a function that does not start its section, when what precedes it is not padding', async () => {
    const original = await compileC(workdir.path, 'nopad-orig', BASE, PADDED);
    const section = (await readElf(original)).sectionByName('.text.edited')!;
    // Turn one byte of the padding into an int3: the symbol no longer follows NOPs alone.
    const bytes = await readFile(original);
    bytes[section.fileOffset + 3] = 0xcc;
    const broken = join(workdir.path, 'nopad-broken.o');
    await writeFile(broken, bytes);
    expect(() => diffObjects({ original: broken, patched: broken, lineNumbers: 'kept' })).toThrow(
      /symbol edited sits at offset 16 of its own section \.text\.edited, expected 0/,
    );
  });
});
