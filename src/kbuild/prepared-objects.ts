import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { vmlinuxCompileUnits } from '../kernel/facts/compile-units.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { includeGraph, sourcesIncluding } from './include-graph.js';
import { jobsForObjects, runMake } from './make.js';
import { missingOriginals, missingOriginalsNote, originalsUpToDate } from './missing-originals.js';
import { KernelModules } from '../kernel/kernel-modules.js';
import {
  cmdFileDeps,
  cmdFileOf,
  recordedCommandLine,
  unbuildableFileRefusal,
  type ObjectInfo,
} from './object-index.js';
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
 * What of the running kernel SOURCE was built into, told without compiling it: 'vmlinux' for a
 * DWARF compile unit of its vmlinux, the module for a single-file module installed where kbuild
 * puts it (kernel/<dir>/<name>.ko). A source that is one of several objects of a module cannot
 * be told this way (only its .cmd file names the module): undefined, as for sources the kernel
 * was not built from.
 */
export function builtInto(
  source: string,
  units: ReadonlySet<string>,
  modules: KernelModules,
  modulesDir: string,
): string | undefined {
  if (units.has(source)) return 'vmlinux';
  const name = moduleNameOf(source.replace(/\.c$/, '.o'));
  if (!modules.has(name)) return undefined;
  return dirname(relative(modulesDir, modules.path(name))) === join('kernel', dirname(source)) ? name : undefined;
}

/**
 * The objects of a prepared tree that changed files affect, with their originals compiled:
 * a C file is its own object; a header is every built object whose kbuild dependencies name it,
 * looked for among the sources that may include it (include-graph.ts). An object counts only
 * when the running kernel was built from it: part of vmlinux (a DWARF compile unit of the
 * running vmlinux) or of one of its modules (kbuild's KBUILD_MODNAME, a .ko of the image).
 */
export async function locateInPreparedTree(options: {
  tree: WorkTree;
  target: TargetKernel;
  changed: readonly string[];
  log: Logger;
  jobs: number;
}): Promise<LocatedObjects> {
  const { tree, target, changed, log } = options;
  const [units, modules] = await Promise.all([
    vmlinuxCompileUnits(target.vmlinux, join(tree.caches, 'compile-units.json'), log),
    KernelModules.read(target.modulesDir),
  ]);
  const sources = new Map<string, Set<string>>(); // C source → changed files that bring it in
  const unbuilt: string[] = [];
  const headers = changed.filter((f) => f.endsWith('.h'));
  for (const file of changed) {
    if (file.endsWith('.c')) sources.set(file, new Set([file]));
    else if (!file.endsWith('.h')) {
      throw unbuildableFileRefusal(file);
    }
  }
  if (headers.length > 0) {
    log(`finding the objects that include ${headers.join(', ')}`);
    const graph = await includeGraph(tree.dir, join(tree.caches, 'include-graph.json'), log);
    for (const header of headers) {
      for (const source of sourcesIncluding(graph, header)) {
        if (!sources.has(source)) sources.set(source, new Set());
        sources.get(source)!.add(header);
      }
    }
  }
  const objectOf = (source: string) => source.replace(/\.c$/, '.o');
  // Compile the originals (kbuild skips those already up to date). Sources found only through
  // a header may belong to no configured object and fail to compile: keep going past them.
  const targets = [...sources.keys()].map(objectOf);
  if (targets.length > 0) {
    log(`original objects: ${targets.length <= 8 ? targets.join(' ') : `${targets.length} candidates`}`);
    // An original compiled by an earlier run and gone since (a run stopped while make rebuilt
    // it, a file removed by hand) is compiled again below: say so.
    const lost = await missingOriginals(tree.dir, targets, { wasBuilt: true });
    if (lost.length > 0) log(missingOriginalsNote(lost));
    if (!(await originalsUpToDate(tree.dir, targets)))
      await runMake({
        tree: tree.dir,
        targets,
        jobs: jobsForObjects(targets, options.jobs),
        logFile: join(tree.entry, 'objects.log'),
        runner: tree.runner,
        vars: tree.vars,
        what: 'building the original objects',
        ...(headers.length > 0 ? { keepGoing: true } : {}),
      });
  }
  const objects: ObjectInfo[] = [];
  const found = new Set<string>();
  const failed: string[] = [];
  for (const [source, reasons] of sources) {
    const direct = reasons.has(source);
    const text = await readFile(join(tree.dir, cmdFileOf(objectOf(source))), 'utf8').catch(() => undefined);
    const compiled = text === undefined ? undefined : parseObjectCmd(text);
    if (!compiled) {
      if (direct)
        throw new UserError(`${source}: the original object was not built (see ${join(tree.entry, 'objects.log')})`);
      // Found only through a header: a source the kernel was not built from (another config, a
      // file no Makefile builds) may well fail to compile, and is skipped. One the running
      // kernel was built from must not drop out of the patch: the header change would miss it.
      const into = builtInto(source, units, modules, target.modulesDir);
      if (into) failed.push(`${objectOf(source)} (part of ${into}; may include ${[...reasons].sort().join(', ')})`);
      continue;
    }
    const inKernel = compiled.module ? modules.has(compiled.modname) : units.has(source);
    const viaHeaders = [...reasons].filter((r) => r !== source && compiled.deps.includes(r));
    if (!inKernel || (!direct && viaHeaders.length === 0)) continue;
    for (const reason of reasons) found.add(reason);
    objects.push({ path: objectOf(source), source, target: compiled.module ? compiled.modname : 'vmlinux', deps: [] });
  }
  if (failed.length > 0) {
    throw new UserError(
      `the original of objects the running kernel was built from failed to compile, so the changed headers cannot be followed into them:\n  ${failed.join('\n  ')}\n` +
        `see ${join(tree.entry, 'objects.log')}`,
    );
  }
  for (const file of changed) if (!found.has(file)) unbuilt.push(file);
  objects.sort((a, b) => a.path.localeCompare(b.path));
  return { objects, unbuilt };
}
