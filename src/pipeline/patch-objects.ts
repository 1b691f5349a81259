import { writeFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { readElf, STB_LOCAL, STT_FUNC, STT_OBJECT, writeRelocatable, type ElfFile } from '../elf/index.js';
import { buildPatchObject } from '../diff/output.js';
import { addFunctionAlias, AliasNamer } from '../emit/aliases.js';
import { chooseTargetSymbol, resolveUndefinedSymbols, type Resolution } from '../emit/resolve.js';
import type { Exports } from '../kernel/symvers.js';
import { TargetSymbols } from '../emit/symbol-positions.js';
import type { KlpCallbacksSpec, KlpFuncSpec, KlpObjectSpec } from '../emit/spec.js';
import { refusedError } from '../util/errors.js';
import type { ObjectDiff } from './diff-stage.js';

/** A diffed object ready to be linked into the livepatch module. */
export interface PatchObject {
  diff: ObjectDiff;
  /** File name inside the module directory. */
  fileName: string;
  path: string;
  funcs: KlpFuncSpec[];
  callbacks: KlpCallbacksSpec;
  resolutions: Resolution[];
}

const HOOK_FIELDS = {
  pre_patch: 'prePatch',
  post_patch: 'postPatch',
  pre_unpatch: 'preUnpatch',
  post_unpatch: 'postUnpatch',
} as const;

export interface PatchObjectsOptions {
  diffs: readonly ObjectDiff[];
  /** Where the patch objects are written. */
  objectsDir: string;
  vmlinux: TargetSymbols;
  exports: Exports;
}

async function localSymbols(
  path: string,
): Promise<{ names: Set<string>; sequence: Array<{ name: string; size: number }> }> {
  const elf = await readElf(path);
  const locals = elf.symbols.filter((s) => s.bind === STB_LOCAL && (s.type === STT_FUNC || s.type === STT_OBJECT));
  return { names: new Set(locals.map((s) => s.name)), sequence: locals.map((s) => ({ name: s.name, size: s.size })) };
}

/**
 * Write the patch object of every changed object: the differ's selection, global aliases for
 * the replacement functions and callbacks, and livepatch names for every symbol that only the
 * running kernel can provide. Also gives the klp_func / callback entries for the C skeleton.
 */
export async function writePatchObjects(options: PatchObjectsOptions): Promise<PatchObject[]> {
  const changed = options.diffs.filter((d) => d.result.outcome === 'changed');
  const models = new Map<ObjectDiff, ElfFile>();
  for (const diff of changed) models.set(diff, buildPatchObject(diff.result.patched, diff.pair.object.path));
  const definedInPatch = new Set<string>();
  for (const model of models.values()) {
    for (const s of model.symbols) if (!s.isLocal && !s.isUndefined && s.name) definedInPatch.add(s.name);
  }
  const namer = new AliasNamer();
  // A module's symbols, read once from the .ko the differ already used as the object's parent.
  const moduleSymbols = new Map<string, Promise<TargetSymbols>>();
  const symbolsOfModule = (diff: ObjectDiff) => {
    const module = diff.pair.object.target;
    if (!moduleSymbols.has(module)) moduleSymbols.set(module, TargetSymbols.read(module, diff.parent));
    return moduleSymbols.get(module)!;
  };
  const objects: PatchObject[] = [];
  for (const diff of changed) {
    const model = models.get(diff)!;
    const funcs = diff.result.changedFunctions.map((name) => ({
      oldName: name,
      newSymbol: addFunctionAlias(model, name, namer.name('tsbp_new_', name)),
      sympos: 0,
    }));
    const callbacks: KlpCallbacksSpec = {};
    for (const callback of diff.result.callbacks) {
      callbacks[HOOK_FIELDS[callback.hook]] = addFunctionAlias(
        model,
        callback.function,
        namer.name('tsbp_cb_', callback.function),
      );
    }
    const target = diff.pair.object.target;
    const module = target === 'vmlinux' ? undefined : await symbolsOfModule(diff);
    const locals = await localSymbols(diff.pair.original);
    const from = {
      objectPath: diff.pair.object.path,
      sourceFile: basename(diff.pair.object.source),
      originalLocals: locals.names,
      originalLocalSequence: locals.sequence,
    };
    const resolutions = resolveUndefinedSymbols(model, {
      ...from,
      target,
      vmlinux: options.vmlinux,
      ...(module ? { module } : {}),
      exports: options.exports,
      definedInPatch,
    });
    // The functions being replaced are found by name and position in the running kernel too.
    const targetSymbols = module ?? options.vmlinux;
    for (const func of funcs) {
      const chosen = chooseTargetSymbol(targetSymbols, func.oldName, from.originalLocals.has(func.oldName), from);
      func.sympos = chosen ? targetSymbols.positionOf(chosen) : 0;
    }
    // An object another directory's Makefile builds is named by its normalized path (no `..`).
    const fileName = posix.normalize(diff.pair.object.path).replace(/\//g, '__');
    const path = join(options.objectsDir, fileName);
    await writeFile(path, writeRelocatable(model));
    objects.push({ diff, fileName, path, funcs, callbacks, resolutions });
  }
  return objects;
}

/** klp_object entries: one per target (vmlinux first), merging the objects of each target. */
export function klpObjects(objects: readonly PatchObject[]): KlpObjectSpec[] {
  const byTarget = new Map<string, KlpObjectSpec>();
  for (const object of objects) {
    const target = object.diff.pair.object.target;
    let spec = byTarget.get(target);
    if (!spec) {
      spec = { name: target === 'vmlinux' ? null : target, funcs: [], callbacks: {} };
      byTarget.set(target, spec);
    }
    spec.funcs.push(...object.funcs);
    for (const [hook, fn] of Object.entries(object.callbacks) as [keyof KlpCallbacksSpec, string][]) {
      if (spec.callbacks[hook]) {
        throw refusedError(
          'callbacks',
          `two ${hook} callbacks for ${target}: ${spec.callbacks[hook]} and ${fn}; a patch may register one of each per object`,
        );
      }
      spec.callbacks[hook] = fn;
    }
  }
  return [...byTarget.values()].sort((a, b) =>
    a.name === null ? -1 : b.name === null ? 1 : a.name.localeCompare(b.name),
  );
}
