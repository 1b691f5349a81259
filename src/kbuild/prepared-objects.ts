import { access, readFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { KernelUnits } from '../kernel/facts/kernel-units.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { cFileIncluders } from './c-includers.js';
import { includeGraph, sourcesIncluding } from './include-graph.js';
import { jobsForObjects } from './make.js';
import { runReplayedMake } from './replayed-make.js';
import { missingOriginals, missingOriginalsNote, originalsUpToDate } from './missing-originals.js';
import { KernelModules } from '../kernel/kernel-modules.js';
import {
  changesObject,
  cmdFileDeps,
  cmdFileOf,
  recordedCommandLine,
  unbuildableFileRefusal,
  type ObjectInfo,
} from './object-index.js';
import { candidateObjects, whereCompiled } from './source-objects.js';
import { kbuildModname, moduleNameOf } from '../kernel/module-name.js';
import type { LocatedObjects, WorkTree } from './work-tree.js';

/** What kbuild's .cmd file of a compiled object says about it. */
export interface CompiledObject {
  /** KBUILD_MODNAME, with '-' as '_' (the kernel's module name). */
  modname: string;
  /** Compiled as part of a loadable module (-DMODULE). */
  module: boolean;
  /** Headers it depends on (normalized paths relative to the tree; absolute ones left out). */
  deps: string[];
}

export function parseObjectCmd(text: string): CompiledObject | undefined {
  const command = recordedCommandLine(text);
  if (!command) return undefined;
  const modname = kbuildModname(command);
  if (!modname) return undefined;
  return { modname, module: /(^|\s)-DMODULE(\s|$)/.test(command), deps: cmdFileDeps(text) };
}

/**
 * What of the running kernel the source UNIT (as kbuild names it) was built into, told without
 * compiling it: what its compile units say ('vmlinux', or a module when the modules' units are
 * known), else the module for a single-file module installed where kbuild puts it
 * (kernel/<dir>/<name>.ko). Undefined for a source the kernel was not built from, and for one of
 * several objects of a module whose units are unknown (only its .cmd file would name the module).
 */
export function builtInto(
  unit: string,
  units: KernelUnits,
  modules: KernelModules,
  modulesDir: string,
): string | undefined {
  const known = units.into(unit);
  if (known) return known;
  const name = moduleNameOf(unit.replace(/\.c$/, '.o'));
  if (!modules.has(name)) return undefined;
  return dirname(relative(modulesDir, modules.path(name))) === join('kernel', posix.dirname(posix.normalize(unit)))
    ? name
    : undefined;
}

/**
 * The C files of TREE that may include each changed file: from the tree's include graph (read
 * once per tree, cached), or, for changed C files alone while no graph is cached, from the few
 * files that name them (c-includers.ts: seconds, where the graph takes tens of them).
 */
async function includersOf(
  tree: WorkTree,
  changed: readonly string[],
  log: Logger,
): Promise<(file: string) => readonly string[]> {
  const graphFile = join(tree.caches, 'include-graph.json');
  const headers = changed.filter((f) => f.endsWith('.h'));
  const graphCached = await access(graphFile).then(
    () => true,
    () => false,
  );
  if (headers.length === 0 && !graphCached) {
    const found = await cFileIncluders(tree.dir, changed);
    if (found) return (file) => found.get(file) ?? [];
    log(`a header includes ${changed.join(', ')} or a C file that does: reading the tree's include graph`);
  }
  if (headers.length > 0) log(`finding the objects that include ${headers.join(', ')}`);
  const graph = await includeGraph(tree.dir, graphFile, log);
  return (file) => sourcesIncluding(graph, file);
}

/**
 * The objects of a prepared tree that changed files affect, with their originals compiled. The
 * candidates come from source-objects.ts (a C file's own objects, as kbuild builds them, and the
 * objects of the C files that may include it or a changed header, found with include-graph.ts);
 * each is then kept when kbuild's record of it says it depends on a changed file
 * (changesObject) and the running kernel was built from it: part of vmlinux (a DWARF compile
 * unit of the running vmlinux) or of one of its modules (kbuild's KBUILD_MODNAME, a .ko of the
 * image).
 */
export async function locateInPreparedTree(options: {
  tree: WorkTree;
  target: TargetKernel;
  changed: readonly string[];
  log: Logger;
  jobs: number;
}): Promise<LocatedObjects> {
  const { tree, target, changed, log } = options;
  for (const file of changed) if (!/\.(c|h)$/.test(file)) throw unbuildableFileRefusal(file);
  const [units, modules] = await Promise.all([
    KernelUnits.read(target, join(tree.caches, 'compile-units.json'), log),
    KernelModules.read(target.modulesDir),
  ]);
  const includers = await includersOf(tree, changed, log);
  const candidates = candidateObjects(changed, units, includers);
  for (const file of changed) {
    const note = whereCompiled(file, units, includers(file));
    if (note) log(note);
  }
  // Compile the originals (kbuild skips those already up to date). Candidates that are not
  // required (found through an include) may belong to no configured object and fail to
  // compile: keep going past them.
  const targets = candidates.map((c) => c.object);
  if (targets.length > 0) {
    log(`original objects: ${targets.length <= 8 ? targets.join(' ') : `${targets.length} candidates`}`);
    // An original compiled by an earlier run and gone since (a run stopped while make rebuilt
    // it, a file removed by hand) is compiled again below: say so.
    const lost = await missingOriginals(tree.dir, targets, { wasBuilt: true });
    if (lost.length > 0) log(missingOriginalsNote(lost));
    if (!(await originalsUpToDate(tree.dir, targets)))
      await runReplayedMake({
        keep: { dir: tree.recordings, name: 'objects' },
        goalsVary: true,
        tree: tree.dir,
        targets,
        jobs: jobsForObjects(targets, options.jobs),
        logFile: join(tree.entry, 'objects.log'),
        runner: tree.runner,
        vars: tree.vars,
        assumeOld: tree.assumeOld,
        what: 'building the original objects',
        // The tree is pristine here (its patches are applied later, under the journal).
        prepared: true,
        // Also when an object is only guessed (its own directory's) while the modules' compile
        // units can still tell: its failure sends the search there (below).
        ...(candidates.some((c) => !c.required || (c.into === undefined && target.readModuleUnits))
          ? { keepGoing: true }
          : {}),
      });
  }
  const objects: ObjectInfo[] = [];
  const found = new Set<string>();
  const failed: string[] = [];
  for (const candidate of candidates) {
    const { object, source, reasons } = candidate;
    const text = await readFile(join(tree.dir, cmdFileOf(object)), 'utf8').catch(() => undefined);
    const compiled = text === undefined ? undefined : parseObjectCmd(text);
    if (!compiled) {
      // A changed file's own directory does not build it, and which one does is not known yet:
      // read the modules' compile units (once per release) and look again.
      if (candidate.required && candidate.into === undefined && !units.modulesKnown && target.readModuleUnits) {
        log(
          `${source}: its own directory's Makefile does not build it; reading which one does from the modules' compile units (the debug package, once for this release: minutes)`,
        );
        const moduleUnits = await target.readModuleUnits();
        if (moduleUnits) {
          const { readModuleUnits: _read, ...known } = target;
          return locateInPreparedTree({ ...options, target: { ...known, moduleUnits } });
        }
      }
      if (candidate.required)
        throw new UserError(`${source}: the original object was not built (see ${join(tree.entry, 'objects.log')})`);
      // Found only through an include: a source the kernel was not built from (another config,
      // a file no Makefile builds) may well fail to compile, and is skipped. One the running
      // kernel was built from must not drop out of the patch: the change would miss it.
      const into = candidate.into ?? builtInto(source, units, modules, target.modulesDir);
      if (into) failed.push(`${object} (part of ${into}; may include ${[...reasons].sort().join(', ')})`);
      continue;
    }
    const inKernel = compiled.module ? modules.has(compiled.modname) : units.inVmlinux(source);
    const deps = new Set(compiled.deps);
    const reached = [...reasons].filter((file) => changesObject(file, source, (f) => deps.has(f)));
    if (!inKernel || reached.length === 0) continue;
    for (const file of reached) found.add(file);
    objects.push({ path: object, source, target: compiled.module ? compiled.modname : 'vmlinux', deps: [] });
  }
  if (failed.length > 0) {
    throw new UserError(
      `the original of objects the running kernel was built from failed to compile, so the changes cannot be followed into them:\n  ${failed.join('\n  ')}\n` +
        `see ${join(tree.entry, 'objects.log')}`,
    );
  }
  const unbuilt = changed.filter((file) => !found.has(file));
  objects.sort((a, b) => a.path.localeCompare(b.path));
  return { objects, unbuilt };
}
