/**
 * The C files that include changed C files, found with grep instead of the tree's whole include
 * graph: the same answers as the graph (include-graph.ts's sourcesIncluding), and no answer when
 * a header includes one of them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { cFileIncluders } from '../../../src/kbuild/c-includers.js';
import { scanIncludes, sourcesIncluding } from '../../../src/kbuild/include-graph.js';

const TREE: Record<string, string> = {
  'kernel/sched/build_policy.c': '#include "sched.h"\n#include "rt.c"\n# include "deadline.c"\n',
  'kernel/sched/rt.c': 'int rt;\n',
  'kernel/sched/deadline.c': 'int dl;\n',
  'kernel/sched/sched.h': 'struct rq;\n',
  // a chain: a.c in b.c in c.c
  'lib/a.c': 'int a;\n',
  'lib/b.c': '#include "a.c"\n',
  'lib/c.c': '#include "b.c"\n',
  // same basename, different files: the compressed one names the one beside its parent
  'fs/proc/cmdline.c': 'int cmdline;\n',
  'arch/x86/boot/cmdline.c': 'int boot_cmdline;\n',
  'arch/x86/boot/compressed/cmdline.c': '#include "../cmdline.c"\n',
  // a top-level tools/ directory is not kernel code; arch/x86/tools/ is scanned
  'tools/test/use-a.c': '#include "../../lib/a.c"\n',
  'arch/x86/tools/use-a.c': '#include "../../../lib/a.c"\n',
  // a header that includes a C file
  'include/linux/tables.h': '#include "../../lib/table.c"\n',
  'lib/table.c': 'int table;\n',
  // an include through -I: any file ending in the path
  'drivers/x/user.c': '#include <lib/helper.c>\n',
  'lib/helper.c': 'int helper;\n',
};

async function tree(): Promise<string> {
  const { path } = await tmpDir({ unsafeCleanup: true });
  for (const [file, text] of Object.entries(TREE)) {
    await mkdir(dirname(join(path, file)), { recursive: true });
    await writeFile(join(path, file), text);
  }
  return path;
}

describe('cFileIncluders', () => {
  it('finds the C files that include C files, through chains, and agrees with the include graph', async () => {
    const top = await tree();
    const files = [
      'kernel/sched/rt.c',
      'kernel/sched/deadline.c',
      'lib/a.c',
      'fs/proc/cmdline.c',
      'arch/x86/boot/cmdline.c',
      'lib/helper.c',
      'kernel/sched/build_policy.c',
    ];
    const found = await cFileIncluders(top, files);
    expect(Object.fromEntries(found!)).toEqual({
      'kernel/sched/rt.c': ['kernel/sched/build_policy.c'],
      'kernel/sched/deadline.c': ['kernel/sched/build_policy.c'],
      'lib/a.c': ['arch/x86/tools/use-a.c', 'lib/b.c', 'lib/c.c'],
      'fs/proc/cmdline.c': [],
      'arch/x86/boot/cmdline.c': ['arch/x86/boot/compressed/cmdline.c'],
      'lib/helper.c': ['drivers/x/user.c'],
      'kernel/sched/build_policy.c': [],
    });
    const graph = await scanIncludes(top);
    for (const file of files)
      expect(found!.get(file), file).toEqual(sourcesIncluding(graph, file).filter((source) => source !== file));
  });

  it('gives no answer when a header includes one of the files (the graph must then say who includes it)', async () => {
    const top = await tree();
    expect(await cFileIncluders(top, ['lib/table.c'])).toBeUndefined();
    expect(await cFileIncluders(top, ['lib/table.c', 'kernel/sched/rt.c'])).toBeUndefined();
  });

  it('fails, not an empty answer, on a tree it cannot read', async () => {
    await expect(cFileIncluders('/nonexistent-tree', ['a.c'])).rejects.toThrow();
  });
});
