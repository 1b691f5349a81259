/**
 * The objects of the running kernel that a changed file may be compiled into, told before
 * anything is compiled: the one home of the rule that says whether a changed C file is an object
 * of its own, `#include`d by other C files (kernel/sched/rt.c, built only inside
 * build_policy.c), or both, and of the object path kbuild builds each source as (an object that
 * another directory's Makefile builds keeps that directory in its path, its flags with it).
 * What each object really depends on is then read from kbuild's record once it is compiled
 * (object-index.ts, changesObject).
 */
import type { KernelUnits } from '../kernel/facts/kernel-units.js';

/** An object a changed file may be compiled into. */
export interface CandidateObject {
  /** The object as kbuild builds it: `kernel/sched/build_policy.o`, `drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o`. */
  object: string;
  /** Its C source as kbuild names it (the object's path with `.c`). */
  source: string;
  /** The changed files that may reach it. */
  reasons: Set<string>;
  /**
   * The object must build: it is the running kernel's own compile unit of a changed C file, or
   * (the kernel's units unknown for modules) a changed C file's own object that no C file includes.
   */
  required: boolean;
  /** What the running kernel built it into, when its compile units say: 'vmlinux' or a module. */
  into?: string;
}

const objectOf = (source: string) => source.replace(/\.c$/, '.o');

/** The objects compiled from SOURCE as a unit of its own, as kbuild builds them. */
interface OwnObject {
  object: string;
  source: string;
  into?: string;
  /** Not a unit the kernel is known to have: the object of SOURCE's own directory, as a guess. */
  guess: boolean;
}

/**
 * The objects the running kernel compiled SOURCE (a tree path) into as a unit of its own: each
 * compile unit naming it, through whichever directory built it. None when the kernel's units
 * are all known and none names it; when only vmlinux's are known, its own directory's object
 * (what kbuild builds for a file listed by its own directory's Makefile), as a guess.
 */
export function ownObjects(source: string, units: KernelUnits): OwnObject[] {
  const named = units.naming(source);
  if (named.length > 0)
    return named.map((u) => ({ object: objectOf(u.unit), source: u.unit, into: u.into, guess: false }));
  return units.modulesKnown ? [] : [{ object: objectOf(source), source, guess: true }];
}

/**
 * The candidate objects of the changed files CHANGED (C files and headers, tree paths):
 * - a C file: its own objects (ownObjects), required unless only guessed while C files include
 *   it; and the objects of every C file that may include it;
 * - a header: the objects of every C file that may include it.
 * INCLUDERS(file) gives the C files that may include FILE (include-graph.ts: sourcesIncluding,
 * a superset; FILE itself may be among them).
 */
export function candidateObjects(
  changed: readonly string[],
  units: KernelUnits,
  includers: (file: string) => readonly string[],
): CandidateObject[] {
  const candidates = new Map<string, CandidateObject>();
  const add = (own: OwnObject, reason: string, required: boolean) => {
    let candidate = candidates.get(own.object);
    if (!candidate) {
      candidate = {
        object: own.object,
        source: own.source,
        reasons: new Set(),
        required: false,
        ...(own.into ? { into: own.into } : {}),
      };
      candidates.set(own.object, candidate);
    }
    candidate.reasons.add(reason);
    candidate.required ||= required;
  };
  for (const file of changed) {
    const users = includers(file).filter((source) => source !== file);
    if (file.endsWith('.c'))
      for (const own of ownObjects(file, units)) add(own, file, !own.guess || users.length === 0);
    for (const user of users) for (const own of ownObjects(user, units)) add(own, file, false);
  }
  return [...candidates.values()];
}

/**
 * What a run says of a changed C file FILE that is not simply its own directory's object: the
 * objects it is compiled as, or the C files that #include it (INCLUDERS, as candidateObjects
 * takes them). Undefined for a header, and for a C file compiled as its own object.
 */
export function whereCompiled(file: string, units: KernelUnits, includers: readonly string[]): string | undefined {
  if (!file.endsWith('.c')) return undefined;
  const built = ownObjects(file, units).filter((own) => !own.guess);
  const users = includers.filter((source) => source !== file);
  if (built.length === 0)
    return users.length > 0 ? `${file} is not compiled on its own: #included by ${users.join(', ')}` : undefined;
  if (built.every((own) => own.object === objectOf(file))) return undefined;
  return `${file} is compiled as ${built.map((own) => own.object).join(', ')}${users.length > 0 ? `, and #included by ${users.join(', ')}` : ''}`;
}
