import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { builtFiles, prepareOutputs } from '../../../src/kbuild/prepare-outputs.js';

// scripts/mod of a prepared 6.1 tree (as found in the test kernel's), plus 6.12's symsearch.o.
const SOURCES = [
  '.gitignore',
  'Makefile',
  'devicetable-offsets.c',
  'empty.c',
  'file2alias.c',
  'list.h',
  'mk_elfconfig.c',
  'modpost.c',
  'modpost.h',
  'sumversion.c',
];
const BUILT_6_1 = [
  'devicetable-offsets.s',
  'elfconfig.h',
  'empty.o',
  'file2alias.o',
  'mk_elfconfig',
  'modpost',
  'modpost.o',
  'sumversion.o',
];

describe('prepare outputs', () => {
  it('are the files of a directory kbuild recorded a command for, with their .cmd files', () => {
    const names = [...SOURCES, ...BUILT_6_1, ...BUILT_6_1.map((n) => `.${n}.cmd`), 'devicetable-offsets.h'];
    expect(builtFiles(names)).toEqual([...BUILT_6_1, ...BUILT_6_1.map((n) => `.${n}.cmd`)].sort());
    expect(builtFiles(['symsearch.c', 'symsearch.o', '.symsearch.o.cmd'])).toEqual(['.symsearch.o.cmd', 'symsearch.o']);
  });

  it("cover what 6.1's prepare writes, and modpost's objects of another version", async () => {
    await withDir(
      async ({ path: tree }) => {
        const mod = join(tree, 'scripts/mod');
        await mkdir(mod, { recursive: true });
        await mkdir(join(tree, 'include/generated'), { recursive: true });
        for (const name of [
          ...SOURCES,
          ...BUILT_6_1,
          ...BUILT_6_1.map((n) => `.${n}.cmd`),
          'devicetable-offsets.h',
          'symsearch.c',
          'symsearch.o',
          '.symsearch.o.cmd',
        ]) {
          await writeFile(join(mod, name), '');
        }
        await writeFile(join(tree, 'include/generated/autoconf.h'), '');
        const outputs = (await prepareOutputs(tree)).map((p) => p.slice(tree.length + 1));
        // What the list of 6.1's outputs named before it was derived: all still there.
        for (const name of [
          '.config',
          '.missing-syscalls.d',
          'arch/x86/kernel/asm-offsets.s',
          'arch/x86/kernel/.asm-offsets.s.cmd',
          'kernel/bounds.s',
          'kernel/.bounds.s.cmd',
          'scripts/mod/devicetable-offsets.s',
          'scripts/mod/.devicetable-offsets.s.cmd',
          'scripts/mod/devicetable-offsets.h',
          'scripts/mod/modpost',
          'scripts/mod/.modpost.cmd',
          'scripts/mod/file2alias.o',
          'scripts/mod/.file2alias.o.cmd',
          'scripts/mod/modpost.o',
          'scripts/mod/.modpost.o.cmd',
          'scripts/mod/sumversion.o',
          'scripts/mod/.sumversion.o.cmd',
          'scripts/mod/elfconfig.h',
          'scripts/mod/mk_elfconfig',
          'include/generated/autoconf.h',
        ])
          expect(outputs).toContain(name);
        expect(outputs).toContain('scripts/mod/symsearch.o');
        expect(outputs).toContain('scripts/mod/.symsearch.o.cmd');
        expect(outputs.filter((p) => p.endsWith('.c') || p.endsWith('Makefile') || p.endsWith('modpost.h'))).toEqual(
          [],
        );
      },
      { unsafeCleanup: true },
    );
  });
});
