import { describe, expect, it } from 'vitest';
import { parseObjectCmd } from '../../../src/kbuild/prepared-objects.js';
import { parseCompileUnitNames } from '../../../src/kernel/facts/compile-units.js';
import {
  forcedIncludesOf,
  headersIncludedBy,
  sourcesIncluding,
  type IncludeGraph,
} from '../../../src/kbuild/include-graph.js';

describe('kbuild .cmd files of single objects', () => {
  const cmd = (
    flags: string,
  ) => `savedcmd_fs/binfmt_misc.o := gcc-12 -Wp,-MMD,fs/.binfmt_misc.o.d -nostdinc ${flags} -c -o fs/binfmt_misc.o fs/binfmt_misc.c

source_fs/binfmt_misc.o := fs/binfmt_misc.c

deps_fs/binfmt_misc.o := \\
  include/linux/compiler-version.h \\
    $(wildcard include/config/CC_VERSION_TEXT) \\
  include/linux/kconfig.h \\
  fs/proc/../internal.h \\
  /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h \\

fs/binfmt_misc.o: $(deps_fs/binfmt_misc.o)
`;

  it('tells a module object (-DMODULE) by its KBUILD_MODNAME, with its header dependencies', () => {
    const parsed = parseObjectCmd(
      cmd(
        `-DMODULE -DKBUILD_BASENAME='"binfmt_misc"' -DKBUILD_MODNAME='"binfmt_misc"' -D__KBUILD_MODNAME=kmod_binfmt_misc`,
      ),
    );
    expect(parsed).toEqual({
      modname: 'binfmt_misc',
      module: true,
      deps: ['include/linux/compiler-version.h', 'include/linux/kconfig.h', 'fs/internal.h'],
    });
  });

  it('tells a vmlinux object (no -DMODULE) and turns dashes of module names into underscores', () => {
    const parsed = parseObjectCmd(cmd(`-DKBUILD_MODNAME='"nf-conntrack"' -D__KBUILD_MODNAME=kmod_nf_conntrack`));
    expect(parsed?.module).toBe(false);
    expect(parsed?.modname).toBe('nf_conntrack');
  });

  it('returns nothing for a file that is not an object command', () => {
    expect(parseObjectCmd('cmd_vmlinux := ld -o vmlinux\n')).toBeUndefined();
  });
});

describe('DWARF compile unit names from readelf', () => {
  it('keeps C and assembler units, relative to the top of the tree', () => {
    const text = [
      ' <0><c>: Abbrev Number: 1 (DW_TAG_compile_unit)',
      '    <15>   DW_AT_name        : (indirect string, offset: 0): /build/reproducible-path/linux-6.1.192/arch/x86/kernel/head_64.S',
      ' <1><23>: ...',
      ' <0><82>: Abbrev Number: 133 (DW_TAG_compile_unit)',
      '    <84>   DW_AT_producer    : (indirect string, offset: 0x49c9): GNU C11 12.2.0 -O2',
      '    <89>   DW_AT_name        : (indirect line string, offset: 0xfb): fs/proc/cmdline.c',
      ' <1><a1>: ...',
      ' <0><f847>: Abbrev Number: 15 (DW_TAG_compile_unit)',
      '    <f848>   DW_AT_name        : init/main.c',
    ].join('\n');
    expect(parseCompileUnitNames(text)).toEqual(['arch/x86/kernel/head_64.S', 'fs/proc/cmdline.c', 'init/main.c']);
  });
});

describe('sources that may include a header', () => {
  const graph: IncludeGraph = {
    files: [
      'fs/proc/fd.c',
      'fs/proc/fd.h',
      'fs/proc/base.c',
      'fs/proc/internal.h',
      'fs/other/fd.h',
      'fs/other/x.c',
      'kernel/a.c',
      'kernel/inc.c',
      'kernel/b.c',
    ],
    version: 3,
    forced: [],
    macroEdges: [],
    includes: [
      ['"fd.h', '"internal.h'], // fs/proc/fd.c
      ['<linux/types.h'], // fs/proc/fd.h
      ['"internal.h'], // fs/proc/base.c
      ['"fd.h'], // fs/proc/internal.h includes fd.h
      [], // fs/other/fd.h
      ['"../proc/fd.h', '"fd.h'], // fs/other/x.c: "fd.h" is fs/other/fd.h (it exists beside it)
      ['<linux/fs.h>', '"fd.h'], // kernel/a.c: no kernel/fd.h, so "fd.h" may come from any -I path
      ['"../fs/proc/internal.h'], // kernel/inc.c (a .c included by another)
      ['"inc.c'], // kernel/b.c includes inc.c
    ],
  };

  it('follows includes through other headers and .c files, generously resolved', () => {
    expect(sourcesIncluding(graph, 'fs/proc/fd.h')).toEqual([
      'fs/other/x.c',
      'fs/proc/base.c',
      'fs/proc/fd.c',
      'kernel/a.c',
      'kernel/b.c',
      'kernel/inc.c',
    ]);
    // "fd.h" written in fs/other/x.c is its neighbour, not fs/proc/fd.h.
    expect(sourcesIncluding(graph, 'fs/other/fd.h')).toEqual(['fs/other/x.c', 'kernel/a.c']);
  });

  it('finds nothing for a header nobody includes', () => {
    expect(sourcesIncluding(graph, 'include/linux/nothing.h')).toEqual([]);
  });

  it('gives the same relation both ways', () => {
    for (const header of graph.files) {
      for (const source of graph.files.filter((f) => f.endsWith('.c'))) {
        expect(sourcesIncluding(graph, header).includes(source), `${header} <- ${source}`).toBe(
          header === source || headersIncludedBy(graph, source).has(header),
        );
      }
    }
  });

  it('counts a Makefile -include as an include of every C file it applies to', () => {
    const forced: IncludeGraph = {
      ...graph,
      files: [...graph.files, 'include/linux/kconfig.h', 'drivers/x/config.h', 'drivers/x/a.c', 'drivers/y/b.c'],
      includes: [...graph.includes, [], [], [], []],
      forced: [
        ...forcedIncludesOf('Makefile', 'LINUXINCLUDE += -include $(srctree)/include/linux/kconfig.h'),
        ...forcedIncludesOf('drivers/x/Makefile', 'ccflags-y += -include $(src)/config.h'),
      ],
    };
    expect(forced.forced).toEqual([
      { dir: '', spec: '<include/linux/kconfig.h' },
      { dir: 'drivers/x', spec: '<drivers/x/config.h' },
    ]);
    expect(sourcesIncluding(forced, 'include/linux/kconfig.h')).toHaveLength(
      forced.files.filter((f) => f.endsWith('.c')).length,
    );
    expect(sourcesIncluding(forced, 'drivers/x/config.h')).toEqual(['drivers/x/a.c']);
  });

  it('applies the flags of scripts/Makefile.* to every object', () => {
    expect(
      forcedIncludesOf('scripts/Makefile.lib', 'c_flags = -include $(srctree)/include/linux/compiler_types.h'),
    ).toEqual([{ dir: '', spec: '<include/linux/compiler_types.h' }]);
  });
});
