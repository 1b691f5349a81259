/**
 * Which objects a changed file may be compiled into, before anything is compiled: a C file
 * #included by another (kernel/sched/rt.c in build_policy.c), one that is both its own object and
 * included, and one that another directory's Makefile builds (amdgpu's display core).
 */
import { describe, expect, it } from 'vitest';
import { KernelUnits } from '../../../src/kernel/facts/kernel-units.js';
import { candidateObjects, ownObjects, whereCompiled } from '../../../src/kbuild/source-objects.js';

const VMLINUX = ['kernel/sched/build_policy.c', 'kernel/sched/core.c', 'lib/both.c', 'lib/user.c'];
const MODULES = {
  amdgpu: ['drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c', 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c'],
  ext4: ['fs/ext4/inode.c'],
};
/** C files that may include each file (include-graph.ts's answer; the file itself included). */
const INCLUDERS: Record<string, string[]> = {
  'kernel/sched/rt.c': ['kernel/sched/build_policy.c', 'kernel/sched/rt.c'],
  'kernel/sched/sched.h': [
    'kernel/sched/build_policy.c',
    'kernel/sched/core.c',
    'kernel/sched/rt.c',
    'kernel/sched/standalone.c',
  ],
  'lib/both.c': ['lib/both.c', 'lib/user.c'],
  'drivers/gpu/drm/amd/display/dc/core/dc.c': ['drivers/gpu/drm/amd/display/dc/core/dc.c'],
  'drivers/gpu/drm/amd/display/dc/inc/core_status.h': ['drivers/gpu/drm/amd/display/dc/core/dc.c'],
  'fs/ext4/inode.c': ['fs/ext4/inode.c'],
};
const includers = (file: string) => INCLUDERS[file] ?? [];
const known = new KernelUnits(VMLINUX, MODULES);
const vmlinuxOnly = new KernelUnits(VMLINUX);

const summary = (changed: string[], units: KernelUnits) =>
  candidateObjects(changed, units, includers)
    .map(
      (c) =>
        `${c.object}${c.required ? ' (required)' : ''}${c.into ? ` [${c.into}]` : ''} <- ${[...c.reasons].join(' ')}`,
    )
    .sort();

describe('the objects of a changed C file', () => {
  it('maps a C file compiled only inside another to the including object', () => {
    expect(summary(['kernel/sched/rt.c'], known)).toEqual([
      'kernel/sched/build_policy.o [vmlinux] <- kernel/sched/rt.c',
    ]);
    expect(whereCompiled('kernel/sched/rt.c', known, includers('kernel/sched/rt.c'))).toBe(
      'kernel/sched/rt.c is not compiled on its own: #included by kernel/sched/build_policy.c',
    );
  });

  it("tries the file's own object too, not required, when the modules' units are unknown", () => {
    expect(summary(['kernel/sched/rt.c'], vmlinuxOnly)).toEqual([
      'kernel/sched/build_policy.o [vmlinux] <- kernel/sched/rt.c',
      'kernel/sched/rt.o <- kernel/sched/rt.c',
    ]);
    // Included by nothing, its own object is what must build, as before.
    expect(summary(['fs/ext4/inode.c'], vmlinuxOnly)).toEqual(['fs/ext4/inode.o (required) <- fs/ext4/inode.c']);
  });

  it('maps a C file that is both its own object and included to all of them', () => {
    expect(summary(['lib/both.c'], known)).toEqual([
      'lib/both.o (required) [vmlinux] <- lib/both.c',
      'lib/user.o [vmlinux] <- lib/both.c',
    ]);
    expect(whereCompiled('lib/both.c', known, includers('lib/both.c'))).toBeUndefined();
  });

  it('builds an object of another directory through the path its Makefile uses', () => {
    const file = 'drivers/gpu/drm/amd/display/dc/core/dc.c';
    expect(summary([file], known)).toEqual([
      `drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o (required) [amdgpu] <- ${file}`,
    ]);
    expect(ownObjects(file, known)).toEqual([
      {
        object: 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o',
        source: 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c',
        into: 'amdgpu',
        guess: false,
      },
    ]);
    expect(whereCompiled(file, known, includers(file))).toBe(
      `${file} is compiled as drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o`,
    );
    // A header of that directory reaches the same object.
    expect(summary(['drivers/gpu/drm/amd/display/dc/inc/core_status.h'], known)).toEqual([
      'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o [amdgpu] <- drivers/gpu/drm/amd/display/dc/inc/core_status.h',
    ]);
  });

  it('gives a header the objects of its including sources, not the included C files', () => {
    expect(summary(['kernel/sched/sched.h'], known)).toEqual([
      'kernel/sched/build_policy.o [vmlinux] <- kernel/sched/sched.h',
      'kernel/sched/core.o [vmlinux] <- kernel/sched/sched.h',
    ]);
    // Units unknown for modules: every source is a guess of its own directory's object, as before.
    expect(summary(['kernel/sched/sched.h'], vmlinuxOnly)).toEqual([
      'kernel/sched/build_policy.o [vmlinux] <- kernel/sched/sched.h',
      'kernel/sched/core.o [vmlinux] <- kernel/sched/sched.h',
      'kernel/sched/rt.o <- kernel/sched/sched.h',
      'kernel/sched/standalone.o <- kernel/sched/sched.h',
    ]);
  });

  it('has no candidate for a C file the kernel has no unit of and nothing includes', () => {
    expect(summary(['drivers/unbuilt/x.c'], known)).toEqual([]);
  });
});

describe("the running kernel's compile units", () => {
  it('tells where each unit went, by its normalized source', () => {
    expect(known.naming('drivers/gpu/drm/amd/display/dc/core/dc.c')).toEqual([
      { unit: 'drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c', into: 'amdgpu' },
    ]);
    expect(known.into('fs/ext4/inode.c')).toBe('ext4');
    expect(known.inVmlinux('kernel/sched/core.c')).toBe(true);
    expect(known.inVmlinux('fs/ext4/inode.c')).toBe(false);
    expect(known.modulesKnown).toBe(true);
    expect(vmlinuxOnly.modulesKnown).toBe(false);
    expect(new KernelUnits(VMLINUX, MODULES, false).modulesKnown).toBe(false);
  });
});
