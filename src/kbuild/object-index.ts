import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative } from 'node:path';
import { readJsonCache, writeFileAtomic } from '../util/atomic-file.js';
import { CACHE_FORMATS } from '../util/cache-formats.js';
import type { Logger } from '../util/log.js';
import { refusedError, type RefusedError } from '../util/errors.js';
import { moduleNameOf } from '../kernel/module-name.js';

/**
 * What the original build made: every object compiled from C, its source, the headers (and
 * #included C files) it depends on (from kbuild's .cmd files), and whether it is part of vmlinux
 * or of a module.
 */
export interface ObjectInfo {
  /**
   * Object path relative to the tree as kbuild builds it, e.g. "fs/proc/cmdline.o"; an object
   * another directory's Makefile builds keeps that directory: "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o".
   */
  path: string;
  /** Its C source as kbuild names it (the object's path with .c). */
  source: string;
  /** "vmlinux" or the module name as the kernel knows it (underscores). */
  target: string;
  /** Indexes into ObjectIndex.headers. */
  deps: number[];
}

export interface ObjectIndex {
  /** CACHE_FORMATS.objectIndex of the code that wrote it; an index of another version is rebuilt. */
  version: number;
  /** The files objects depend on: headers, and C files #included by other C files. */
  headers: string[];
  objects: ObjectInfo[];
}

/**
 * Objects that are never part of the running kernel's patchable code, although kbuild builds
 * them from C with .cmd files: host programs, the vDSO (user space), boot and real-mode code.
 * A header they include must not pull them into a patched build.
 */
const NOT_KERNEL_CODE = [
  /^scripts\//,
  /^tools\//,
  /^usr\//,
  /^arch\/x86\/boot\//,
  /^arch\/x86\/realmode\//,
  /^arch\/x86\/entry\/vdso\//,
  /^arch\/x86\/tools\//,
];

/** kbuild's record of OBJECT (a path, absolute or relative to the tree): `.<name>.cmd` beside it. */
export function cmdFileOf(object: string): string {
  return join(dirname(object), `.${basename(object)}.cmd`);
}

/**
 * The command line a kbuild .cmd file records for its target (`cmd_<target> :=`, 6.1;
 * `savedcmd_<target> :=`, later), as make wrote it (its `$$` and `$(pound)` escapes kept).
 */
export function recordedCommandLine(text: string): string | undefined {
  return /^(?:saved)?cmd_\S+ := (.*)$/m.exec(text)?.[1];
}

/**
 * The files of the tree an object of a kbuild .cmd file depends on (its deps_ list), normalized;
 * the config wildcards and absolute paths (the compiler's own headers) left out.
 */
export function cmdFileDeps(text: string): string[] {
  const deps: string[] = [];
  const start = text.search(/^deps_\S+ := \\$/m);
  if (start < 0) return deps;
  for (const line of text.slice(start).split('\n').slice(1)) {
    const item = line.trim().replace(/\s*\\$/, '');
    if (item === '') break;
    // kbuild writes paths as the compiler saw them ("fs/proc/../mount.h"); patches name "fs/mount.h".
    if (!item.startsWith('$(wildcard') && !item.startsWith('/')) deps.push(posix.normalize(item));
  }
  return deps;
}

/**
 * Whether a change to FILE (a tree path, normalized, as patches name files) changes the object
 * compiled from SOURCE (as kbuild names it) whose kbuild dependencies DEPENDS tells: one rule
 * for C files and headers, for a C file compiled as its own object or #included by another.
 */
export function changesObject(file: string, source: string, depends: (file: string) => boolean): boolean {
  return posix.normalize(source) === file || depends(file);
}

function parseCmdFile(text: string): { object: string; source: string; deps: string[] } | undefined {
  const source = /^source_(\S+) := (\S+)$/m.exec(text);
  if (!source?.[1] || !source[2]) return undefined;
  return { object: source[1], source: source[2], deps: cmdFileDeps(text) };
}

async function walk(dir: string, top: string, found: { cmd: string[]; mod: string[] }): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git' && entry.name !== 'Documentation') await walk(path, top, found);
      } else if (entry.name.endsWith('.o.cmd')) found.cmd.push(path);
      else if (entry.name.endsWith('.mod') && relative(top, path) !== '') found.mod.push(path);
    }),
  );
}

/** Scan a built tree and write its object index. */
export async function buildObjectIndex(tree: string, output: string): Promise<void> {
  const found = { cmd: [] as string[], mod: [] as string[] };
  await walk(tree, tree, found);
  const moduleOf = new Map<string, string>();
  for (const mod of found.mod) {
    const text = await readFile(mod, 'utf8');
    for (const object of text.split(/\s+/).filter((o) => o.endsWith('.o'))) moduleOf.set(object, moduleNameOf(mod));
  }
  const headers: string[] = [];
  const headerIds = new Map<string, number>();
  const objects: ObjectInfo[] = [];
  for (const cmd of found.cmd) {
    // Host tools built inside tools/ (objtool and its libraries) name their sources relative to
    // their own output directories: never kernel code.
    if (relative(tree, cmd).startsWith('tools/')) continue;
    const parsed = parseCmdFile(await readFile(cmd, 'utf8'));
    // X.mod.c is modpost's generated module metadata, built by the final module link step;
    // it is no patch target, yet it includes linux/module.h and so "depends" on most headers.
    if (!parsed || !parsed.source.endsWith('.c') || parsed.source.endsWith('.mod.c')) continue;
    if (NOT_KERNEL_CODE.some((pattern) => pattern.test(parsed.object))) continue;
    // Headers, and C files #included by the source (kernel/sched/rt.c in build_policy.c).
    const deps = parsed.deps
      .filter((d) => /\.(h|c)$/.test(d))
      .map((header) => {
        let id = headerIds.get(header);
        if (id === undefined) {
          id = headers.length;
          headers.push(header);
          headerIds.set(header, id);
        }
        return id;
      });
    objects.push({
      path: parsed.object,
      source: parsed.source,
      target: moduleOf.get(parsed.object) ?? 'vmlinux',
      deps,
    });
  }
  objects.sort((a, b) => a.path.localeCompare(b.path));
  await writeFileAtomic(
    output,
    JSON.stringify({ version: CACHE_FORMATS.objectIndex, headers, objects } satisfies ObjectIndex),
  );
}

/** The index at PATH, or undefined when it is missing, damaged (LOG says so) or of another version. */
export async function readObjectIndex(path: string, log?: Logger): Promise<ObjectIndex | undefined> {
  const index = await readJsonCache<ObjectIndex>(path, log);
  return index?.version === CACHE_FORMATS.objectIndex ? index : undefined;
}

/**
 * The objects a set of changed files affects (changesObject): a C file by the objects compiled
 * from it or including it, a header by the objects depending on it.
 */
export function objectsAffectedBy(
  index: ObjectIndex,
  files: readonly string[],
): { objects: ObjectInfo[]; unbuilt: string[] } {
  const result = new Map<string, ObjectInfo>();
  const unbuilt: string[] = [];
  for (const file of files) {
    if (!/\.(c|h)$/.test(file)) throw unbuildableFileRefusal(file);
    const id = index.headers.indexOf(file);
    const users = index.objects.filter((o) => changesObject(file, o.source, () => id >= 0 && o.deps.includes(id)));
    if (users.length === 0) unbuilt.push(file);
    for (const object of users) result.set(object.path, object);
  }
  return { objects: [...result.values()], unbuilt };
}

export const objectDir = (object: ObjectInfo) => dirname(object.path);

/** The refusal of a changed file that is neither a C source nor a header: no object is built from it. */
export function unbuildableFileRefusal(file: string): RefusedError {
  return refusedError(
    'path-policy',
    'only C sources and headers can be live-patched (no object is built from this file type)',
    { object: file },
  );
}
