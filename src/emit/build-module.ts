import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runReplayedMake } from '../kbuild/replayed-make.js';
import type { Runner } from '../toolchain/runner.js';
import { UserError } from '../util/errors.js';
import { generateModuleSources } from './generate.js';
import type { PatchModuleSpec } from './spec.js';

export interface ModuleDirOptions {
  /** Diffed objects to link in: file name in the module (e.g. "fs__proc__cmdline.o") → path. */
  objects?: ReadonlyMap<string, string>;
  /** Extra files written verbatim (e.g. C sources in tests). */
  extraFiles?: Readonly<Record<string, string>>;
}

/** Write the generated C, the Kbuild file and the diffed objects (as kbuild "shipped" files). */
export async function writeModuleDir(
  spec: PatchModuleSpec,
  dir: string,
  options: ModuleDirOptions = {},
): Promise<void> {
  if (spec.name === 'livepatch-module')
    throw new UserError(`module name '${spec.name}' is reserved; choose another with --name`);
  await mkdir(dir, { recursive: true });
  const { source, kbuild } = await generateModuleSources(spec);
  await writeFile(join(dir, 'livepatch-module.c'), source);
  await writeFile(join(dir, 'Kbuild'), kbuild);
  for (const [name, path] of options.objects ?? []) {
    await copyFile(path, join(dir, `${name}_shipped`));
    // The object itself too: kbuild's `$(obj)/%: $(src)/%_shipped` no longer matches a plain
    // object name in Linux 7's external-module builds (obj is '.'); a present file needs no rule.
    await copyFile(path, join(dir, name));
    // modpost reads .<object>.cmd of every object of a module (export CRCs are recorded there);
    // a patch object exports nothing, so a command line alone is enough.
    await writeFile(
      join(dir, `.${name}.cmd`),
      `cmd_${join(dir, name)} := cat ${join(dir, `${name}_shipped`)} > ${join(dir, name)}\n`,
    );
  }
  for (const [name, text] of Object.entries(options.extraFiles ?? {})) await writeFile(join(dir, name), text);
}

export interface ModuleBuildOptions {
  /** Built kernel tree to build against. */
  tree: string;
  dir: string;
  name: string;
  /** Allow undefined symbols that modpost cannot resolve (livepatch symbols, checked later). */
  allowUnresolved?: boolean;
  jobs?: number;
  runner?: Runner;
  /** make variables of the tree (its compiler and release string). */
  vars?: Record<string, string>;
  /**
   * Where the tree keeps its recorded make calls (replayed-make.ts): the module is built with
   * the sub-makes kbuild runs for M=, without the top Makefile. Absent: make with it.
   */
  recordings?: string;
}

/** Where kbuild links module NAME built in DIR. */
export const linkedModulePath = (dir: string, name: string): string => join(dir, `${name}.ko`);

/** `make -C TREE M=DIR modules` (its recorded sub-makes when the tree keeps them); returns the path of the linked .ko. */
export async function buildModule(options: ModuleBuildOptions): Promise<string> {
  await runReplayedMake({
    tree: options.tree,
    targets: ['modules'],
    vars: { ...(options.vars ?? {}), M: options.dir, ...(options.allowUnresolved ? { KBUILD_MODPOST_WARN: '1' } : {}) },
    logFile: join(options.dir, 'build.log'),
    jobs: options.jobs ?? 2,
    ...(options.runner ? { runner: options.runner } : {}),
    what: `building the livepatch module ${options.name}`,
    keep: { dir: options.recordings, name: 'module' },
    parameters: { MODULE_DIR: options.dir },
  });
  return linkedModulePath(options.dir, options.name);
}
