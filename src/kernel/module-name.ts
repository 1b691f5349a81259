// The kernel's module-name rule, its one home: every layer that names a module uses it (the
// on-machine shell tool tsbuild-patch-ctl keeps its own copy, `tr - _`, in runtime/ctl/common.sh).
import { basename } from 'node:path';
import { plainModulePath, readModuleElf } from './module-file.js';
import { modinfoValue } from './modinfo.js';
import { refusedError } from '../util/errors.js';

/**
 * The name the kernel uses for a module (and its livepatch sysfs directory): kbuild's
 * KBUILD_MODNAME turns every '-' of the file name into '_'.
 */
export const kernelModuleName = (name: string) => name.replace(/-/g, '_');

/** A module's kernel name from its file: drivers/demo/demo-drv.ko (or .ko.xz, .mod, .o) → demo_drv. */
export const moduleNameOf = (file: string) =>
  kernelModuleName(basename(plainModulePath(file)).replace(/\.(ko|mod|o)$/, ''));

/**
 * The kernel name of the module a compile command builds into, from its KBUILD_MODNAME define,
 * quoted as in a .cmd file (-DKBUILD_MODNAME='"nf-conntrack"') or in `make -n` output
 * (-DKBUILD_MODNAME=\"nf-conntrack\"): nf_conntrack. Undefined when the command has none.
 */
export function kbuildModname(command: string): string | undefined {
  const raw = /-DKBUILD_MODNAME=['"\\]*([\w-]+)/.exec(command)?.[1];
  return raw === undefined ? undefined : kernelModuleName(raw);
}

/**
 * Refuse NAME for a module of kernel RELEASE when the kernel already has that module name for
 * built-in code (BUILTINS: src/kernel/facts/builtin-modules.ts, each name with where it was
 * found): /sys/module/<name> exists, and the kernel fails the load with EINVAL ("<name>: module
 * is already loaded").
 */
export function checkNotBuiltinName(name: string, builtins: ReadonlyMap<string, string>, release: string): void {
  const kernelName = kernelModuleName(name);
  const source = builtins.get(kernelName);
  if (source === undefined) return;
  throw refusedError(
    'builtin-module-name',
    `module name ${name}: kernel ${release} already has a built-in module ${kernelName} (${source}), so loading the livepatch would fail with EINVAL ("${kernelName}: module is already loaded")`,
    { hint: 'choose another --name' },
  );
}

/**
 * The name the kernel gives the module in FILE (.ko or .ko.xz): the one modpost wrote in its
 * .modinfo, else its file's (a file may have been renamed: `-o fix.ko`).
 */
export async function moduleNameInFile(file: string): Promise<string> {
  return modinfoValue(await readModuleElf(file), 'name') ?? moduleNameOf(file);
}
