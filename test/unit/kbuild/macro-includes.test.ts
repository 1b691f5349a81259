/**
 * `#include MACRO` lines in the include graph: a macro of the same file expanded, one defined in
 * another file (once, or in many files: a hole each defining file fills), the trace-event
 * idiom, __FILE__; small synthetic trees scanned as the real tree is.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  definitionsIn,
  expandMacros,
  headerName,
  holesIn,
  tokenize,
  type MacroDefinition,
  type MacroLookup,
} from '../../../src/kbuild/c-macros.js';
import { scanIncludes, sourcesIncluding, type IncludeGraph } from '../../../src/kbuild/include-graph.js';
import { macroIncludeExpressions } from '../../../src/kbuild/macro-includes.js';

/** A lookup of DEFINITIONS (all of one file), with HOLES as holes. */
const lookupOf =
  (definitions: MacroDefinition[], holes: string[] = []): MacroLookup =>
  (name) => ({ definitions: definitions.filter((d) => d.name === name), hole: holes.includes(name) });

const names = (text: string, lookup: MacroLookup) =>
  expandMacros(tokenize(text), lookup).map((tokens) => headerName(tokens));

describe('the macro expander', () => {
  it('expands object-like chains, stringifies, pastes and takes variadic arguments', () => {
    const defs = definitionsIn(
      [
        '#define A B',
        '#define B <lib/y.h>',
        '#define __stringify_1(x...) #x',
        '#define __stringify(x...) __stringify_1(x)',
        '#define DIR drivers/foo',
        '#define IN_DIR(f) __stringify(DIR/f.h)',
        '#define CAT(a, b) a ## b',
        '#define PICK(...) __VA_ARGS__',
        '#define NAME CAT(na, me)',
      ].join('\n'),
    );
    const lookup = lookupOf(defs);
    expect(names('A', lookup)).toEqual(['<lib/y.h']);
    expect(names('IN_DIR(bar)', lookup)).toEqual(['"drivers/foo/bar.h']);
    expect(names('__stringify(CAT(x, y).h)', lookup)).toEqual(['"xy.h']);
    expect(names('PICK("a.h")', lookup)).toEqual(['"a.h']);
    expect(names('__stringify(NAME.h)', lookup)).toEqual(['"name.h']);
  });

  it('takes every definition of a macro as an alternative, and keeps a macro that may be undefined', () => {
    const defs = definitionsIn(
      '#ifndef P\n#define H(s) <events/s.h>\n#else\n#define H(s) <P/s.h>\n#endif\n#define F(x) H(x)\n',
    );
    expect(names('F(foo)', lookupOf(defs)).sort()).toEqual(['<P/foo.h', '<events/foo.h']);
    const keep: MacroLookup = (name) => ({
      definitions: name === 'X' ? definitionsIn('#define X "x.h"') : [],
      hole: false,
      keep: true,
    });
    expect(names('X', keep).sort()).toEqual(['"x.h', undefined]);
  });

  it('leaves a hole for a macro other files set, for each of them to fill', () => {
    // As the kernel's __stringify: two levels, so that its argument is expanded first.
    const defs = definitionsIn(
      '#define __stringify_1(x) #x\n#define __stringify(x) __stringify_1(x)\n#define T(s) __stringify(PATH/s.h)\n',
    );
    const [pattern, ...more] = expandMacros(tokenize('T(SYSTEM)'), lookupOf(defs, ['PATH', 'SYSTEM']));
    expect(more).toEqual([]);
    expect([...holesIn(pattern!)].sort()).toEqual(['PATH', 'SYSTEM']);
    const values: Record<string, string> = { PATH: '../../fs/xfs', SYSTEM: 'xfs' };
    expect(headerName(pattern!, (hole) => values[hole]!)).toBe('"../../fs/xfs/xfs.h');
    expect(headerName(pattern!)).toBe('"PATH/SYSTEM.h');
  });

  it('tells a default (#ifndef NAME, #define NAME) from other definitions', () => {
    const defs = definitionsIn('#ifndef F\n# define F S\n#endif\n#ifndef G\n#else\n#define F T\n#endif\n#define X 1\n');
    expect(defs.map((d) => [d.name, d.fallback])).toEqual([
      ['F', true],
      ['F', false],
      ['X', false],
    ]);
  });

  it('finds the #include MACRO lines of a file, comments left out', () => {
    const text =
      '#include <a.h>\n# include TRACE_INCLUDE(TRACE_INCLUDE_FILE) /* again */\n#include "b.h"\n#include \\\n  X\n';
    expect(macroIncludeExpressions(text)).toEqual(['TRACE_INCLUDE(TRACE_INCLUDE_FILE)', 'X']);
  });
});

let tmp: DirectoryResult;
beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterEach(async () => tmp.cleanup());

async function tree(files: Record<string, string>): Promise<IncludeGraph> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(tmp.path, path)), { recursive: true });
    await writeFile(join(tmp.path, path), text);
  }
  return scanIncludes(tmp.path);
}

/** include/trace/define_trace.h and stringify.h as the kernel writes them (the parts that matter). */
const TRACE_MACHINERY = {
  'include/linux/stringify.h': '#define __stringify_1(x...)\t#x\n#define __stringify(x...)\t__stringify_1(x)\n',
  'include/trace/define_trace.h': [
    '#ifdef CREATE_TRACE_POINTS',
    '#include <linux/stringify.h>',
    '#undef TRACE_INCLUDE',
    '#undef __TRACE_INCLUDE',
    '#ifndef TRACE_INCLUDE_FILE',
    '# define TRACE_INCLUDE_FILE TRACE_SYSTEM',
    '# define UNDEF_TRACE_INCLUDE_FILE',
    '#endif',
    '#ifndef TRACE_INCLUDE_PATH',
    '# define __TRACE_INCLUDE(system) <trace/events/system.h>',
    '#else',
    '# define __TRACE_INCLUDE(system) __stringify(TRACE_INCLUDE_PATH/system.h)',
    '#endif',
    '# define TRACE_INCLUDE(system) __TRACE_INCLUDE(system)',
    '#define TRACE_HEADER_MULTI_READ',
    '#include TRACE_INCLUDE(TRACE_INCLUDE_FILE)',
    '#endif',
    '',
  ].join('\n'),
};

describe('#include MACRO lines in the include graph', () => {
  it('expands a macro defined in the same file', async () => {
    const graph = await tree({
      'fs/a.c': '#define HDR "a-private.h"\n#define OTHER <linux/b.h>\n#include HDR\n#include OTHER\n',
      'fs/a-private.h': 'int x;\n',
      'include/linux/b.h': 'int y;\n',
      'fs/c.c': '#include "other.h"\n',
    });
    expect(sourcesIncluding(graph, 'fs/a-private.h')).toEqual(['fs/a.c']);
    expect(sourcesIncluding(graph, 'include/linux/b.h')).toEqual(['fs/a.c']);
  });

  it('follows a macro another file defines once (drbd_genl.h through GENL_MAGIC_INCLUDE_FILE)', async () => {
    const graph = await tree({
      'include/linux/genl_magic_func.h': '#include GENL_MAGIC_INCLUDE_FILE\n',
      'include/linux/drbd_genl_api.h': '#define GENL_MAGIC_INCLUDE_FILE <linux/drbd_genl.h>\n',
      'include/linux/drbd_genl.h': 'GENL_op(...)\n',
      'drivers/block/drbd/drbd_nl.c': '#include <linux/drbd_genl_api.h>\n#include <linux/genl_magic_func.h>\n',
      'drivers/block/drbd/drbd_main.c': '#include <linux/drbd_genl_api.h>\n',
    });
    // Every source that may expand the line: the one that includes it.
    expect(sourcesIncluding(graph, 'include/linux/drbd_genl.h')).toEqual(['drivers/block/drbd/drbd_nl.c']);
  });

  it('takes each file that sets a macro defined in many files as the one that includes what its value names', async () => {
    const graph = await tree({
      ...TRACE_MACHINERY,
      // The usual trace header: TRACE_SYSTEM names itself.
      'include/trace/events/foo.h': '#undef TRACE_SYSTEM\n#define TRACE_SYSTEM foo\n#include <trace/define_trace.h>\n',
      // One whose TRACE_INCLUDE_PATH and TRACE_INCLUDE_FILE name another file, reached by no other line.
      'drivers/bar/bar_trace.h': [
        '#undef TRACE_SYSTEM',
        '#define TRACE_SYSTEM bar',
        '#undef TRACE_INCLUDE_PATH',
        '#define TRACE_INCLUDE_PATH ../../drivers/bar',
        '#undef TRACE_INCLUDE_FILE',
        '#define TRACE_INCLUDE_FILE bar_points',
        '#include <trace/define_trace.h>',
        '',
      ].join('\n'),
      'drivers/bar/bar_points.h': 'TRACE_EVENT(...)\n',
      'drivers/bar/bar.c': '#define CREATE_TRACE_POINTS\n#include "bar_trace.h"\n',
      'kernel/foo.c': '#define CREATE_TRACE_POINTS\n#include <trace/events/foo.h>\n',
      // A header named like a TRACE_SYSTEM elsewhere in the tree: not what <trace/events/foo.h> names.
      'kernel/foo.h': 'int z;\n',
      'kernel/other.c': '#include "foo.h"\n',
    });
    expect(sourcesIncluding(graph, 'drivers/bar/bar_points.h')).toEqual(['drivers/bar/bar.c']);
    expect(sourcesIncluding(graph, 'include/trace/events/foo.h')).toEqual(['kernel/foo.c']);
    expect(sourcesIncluding(graph, 'kernel/foo.h')).toEqual(['kernel/other.c']);
    // No edge from the machinery to every trace header: a trace header's change stays with its users.
    expect(sourcesIncluding(graph, 'drivers/bar/bar_trace.h')).toEqual(['drivers/bar/bar.c']);
  });

  it('takes #include __FILE__ as the file itself, and a macro defined nowhere as nothing', async () => {
    const graph = await tree({
      'lib/self.c': '#ifndef AGAIN\n#define AGAIN\n#include __FILE__\n#endif\n#include CONFIG_NOT_SET\n',
      'lib/user.c': '#include "self.c"\n',
    });
    expect(sourcesIncluding(graph, 'lib/self.c')).toEqual(['lib/self.c', 'lib/user.c']);
    expect(graph.macroEdges).toEqual([]);
  });
});
