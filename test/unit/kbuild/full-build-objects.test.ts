/**
 * A fully built tree (a user's --sourcedir) indexes objects as kbuild built them: a C file
 * #included by another maps to the including object (its .cmd lists the C file among its
 * dependencies), and an object another directory's Makefile built is found by its source
 * through that directory (`amdgpu/../display/...`), path kept as kbuild uses it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildObjectIndex,
  changesObject,
  cmdFileOf,
  objectsAffectedBy,
  readObjectIndex,
  type ObjectIndex,
} from '../../../src/kbuild/object-index.js';
import { kbuildRecord } from '../../support/kbuild-record.js';

/** kbuild's record of OBJECT (6.1's form), compiled from SOURCE with DEPS. */
const record = (object: string, source: string, deps: string[]) =>
  kbuildRecord('cmd', object, `gcc -nostdinc -c -o ${object} ${source}`, source, deps);

const AMD = 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o';

let tree: DirectoryResult;
let index: ObjectIndex;
beforeAll(async () => {
  tree = await dir({ unsafeCleanup: true });
  const put = async (object: string, source: string, deps: string[]) => {
    const path = join(tree.path, cmdFileOf(object));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, record(object, source, deps));
  };
  await put('kernel/sched/build_policy.o', 'kernel/sched/build_policy.c', [
    'include/linux/sched.h',
    'kernel/sched/sched.h',
    'kernel/sched/rt.c',
    'kernel/sched/deadline.c',
  ]);
  await put('kernel/sched/core.o', 'kernel/sched/core.c', ['kernel/sched/sched.h']);
  await put('lib/both.o', 'lib/both.c', []);
  await put('lib/user.o', 'lib/user.c', ['lib/both.c']);
  await put(AMD, AMD.replace(/\.o$/, '.c'), ['drivers/gpu/drm/amd/amdgpu/../display/dc/core/../inc/core_status.h']);
  await mkdir(join(tree.path, 'drivers/gpu/drm/amd/amdgpu'), { recursive: true });
  await writeFile(join(tree.path, 'drivers/gpu/drm/amd/amdgpu/amdgpu.mod'), `${AMD}\n`);
  await buildObjectIndex(tree.path, join(tree.path, 'object-index.json'));
  index = (await readObjectIndex(join(tree.path, 'object-index.json')))!;
});
afterAll(async () => tree?.cleanup());

const affected = (files: string[]) => {
  const { objects, unbuilt } = objectsAffectedBy(index, files);
  return { objects: objects.map((o) => `${o.path} ${o.target}`).sort(), unbuilt };
};

describe('objects of a fully built tree, as kbuild built them', () => {
  it('maps a C file compiled only inside another to the including object', () => {
    expect(affected(['kernel/sched/rt.c'])).toEqual({ objects: ['kernel/sched/build_policy.o vmlinux'], unbuilt: [] });
  });

  it('maps a C file that is its own object and included by another to both', () => {
    expect(affected(['lib/both.c']).objects).toEqual(['lib/both.o vmlinux', 'lib/user.o vmlinux']);
  });

  it("finds an object of another directory's Makefile by its source, and keeps kbuild's path", () => {
    expect(affected(['drivers/gpu/drm/amd/display/dc/core/dc.c'])).toEqual({ objects: [`${AMD} amdgpu`], unbuilt: [] });
    expect(affected(['drivers/gpu/drm/amd/display/dc/inc/core_status.h']).objects).toEqual([`${AMD} amdgpu`]);
  });

  it('keeps the rule in one place: the source itself, or a file the record depends on', () => {
    expect(changesObject('kernel/sched/rt.c', 'kernel/sched/build_policy.c', (f) => f === 'kernel/sched/rt.c')).toBe(
      true,
    );
    expect(changesObject('drivers/a/x.c', 'drivers/b/../a/x.c', () => false)).toBe(true);
    expect(changesObject('kernel/sched/rt.c', 'kernel/sched/core.c', () => false)).toBe(false);
  });
});
