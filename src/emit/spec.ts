/** What a generated livepatch module contains, independent of how it was found. */
import type { StreamIdentity } from '../kernel/stream-facts.js';
import type { BuiltAgainst } from './built-against.js';

export interface KlpFuncSpec {
  /** Name of the function being replaced, as in the running kernel. */
  oldName: string;
  /** Global symbol of the replacement function in the diffed objects. */
  newSymbol: string;
  /** 0: the name is unique in its object; N: the Nth symbol of that name (kallsyms order). */
  sympos: number;
}

export interface KlpCallbacksSpec {
  prePatch?: string;
  postPatch?: string;
  preUnpatch?: string;
  postUnpatch?: string;
}

export interface KlpObjectSpec {
  /** null for vmlinux, else the module name (as in /sys/module). */
  name: string | null;
  funcs: KlpFuncSpec[];
  callbacks: KlpCallbacksSpec;
}

export interface PatchModuleSpec {
  /** Module name as the .ko file is called (may contain '-'). */
  name: string;
  description: string;
  patches: string[];
  kernelRelease: string;
  toolVersion: string;
  replace: boolean;
  objects: KlpObjectSpec[];
  /** File names of the diffed objects linked into the module. */
  diffedObjects: string[];
  /** Symbol namespaces of the exported symbols the patch uses (MODULE_IMPORT_NS). */
  importNamespaces?: string[];
  /** The build-ids of the kernel and target modules it was built against (recorded in .modinfo). */
  builtAgainst?: BuiltAgainst;
  /** The stream this module is a build of (recorded in .modinfo for the loader); none outside a stream. */
  stream?: StreamIdentity;
}
