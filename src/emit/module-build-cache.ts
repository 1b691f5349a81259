/**
 * Linked livepatch modules kept per tree, by everything kbuild's link reads: the generated C and
 * Kbuild file, every patch object's content, the tree's state (its config, generated config
 * header and Module.symvers, by size and time), the make variables and where the build ran. The
 * same fix built again against the same tree links to the same module, so it is taken from here
 * instead of running kbuild again (as kbuild itself rebuilds nothing that did not change). What
 * follows the link (conversion, checks, signing) runs every time.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';

/** How many linked modules a tree keeps (the oldest used are dropped). */
export const KEPT_MODULES = 16;

/** Files of the module directory that go into the link (besides the objects). */
const MODULE_SOURCES = ['livepatch-module.c', 'Kbuild'];
/** Files of the tree whose change changes what the module compiles against. */
const TREE_STATE = ['.config', 'include/generated/autoconf.h', 'Module.symvers'];

export interface ModuleLinkInputs {
  tree: string;
  moduleDir: string;
  name: string;
  /** Patch objects: file name in the module → path. */
  objects: ReadonlyMap<string, string>;
  vars: Record<string, string>;
  /** Where the link runs (the runner's description: host, or the builder image). */
  runner: string;
}

export async function moduleLinkKey(inputs: ModuleLinkInputs): Promise<string> {
  const parts: string[] = [inputs.name, inputs.tree, inputs.runner, JSON.stringify(inputs.vars)];
  for (const file of MODULE_SOURCES) parts.push(file, sha256(await readFile(join(inputs.moduleDir, file))));
  for (const [name, path] of [...inputs.objects].sort(([a], [b]) => a.localeCompare(b)))
    parts.push(name, sha256(await readFile(path)));
  for (const file of TREE_STATE) {
    const info = await stat(join(inputs.tree, file)).catch(() => undefined);
    parts.push(file, info ? `${info.size}:${info.mtimeMs}` : 'absent');
  }
  return sha256(parts.join('\0'));
}

/** The linked module kept for KEY, copied to DESTINATION; false when there is none. */
export async function takeKeptModule(cacheDir: string, key: string, destination: string): Promise<boolean> {
  const kept = join(cacheDir, `${key}.ko`);
  try {
    await copyFile(kept, destination);
  } catch {
    return false;
  }
  const now = new Date();
  await utimes(kept, now, now).catch(() => undefined);
  return true;
}

/** Keep the linked module LINKED for KEY, dropping the least recently used beyond KEPT_MODULES. */
export async function keepModule(cacheDir: string, key: string, linked: string): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const temporary = join(cacheDir, `.${key}.${process.pid}.tmp`);
  await copyFile(linked, temporary);
  await rename(temporary, join(cacheDir, `${key}.ko`));
  const kept = await Promise.all(
    (await readdir(cacheDir))
      .filter((name) => name.endsWith('.ko'))
      .map(async (name) => ({ name, used: (await stat(join(cacheDir, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  kept.sort((a, b) => b.used - a.used);
  for (const old of kept.slice(KEPT_MODULES)) await rm(join(cacheDir, old.name), { force: true });
}
