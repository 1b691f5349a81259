import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/**
 * Which sources can include a header, found without building: every `#include` line of every
 * C source and header of the tree, resolved generously. An include "x/y.h" is taken to name
 * every file of the tree whose path ends in "/x/y.h" (whatever the include paths and the
 * #ifdefs around it), so the sources found for a header are always a superset of those the
 * compiler really makes depend on it; kbuild's dependency files then give the exact set.
 */
export interface IncludeGraph {
  version: number;
  /** Files of the tree (relative paths), indexed by the numbers below. */
  files: string[];
  /** For each file, the include specs it names (as written, normalized). */
  includes: string[][];
}

const GRAPH_VERSION = 1;
const SKIPPED_DIRS = new Set(['.git', 'Documentation', 'tools', 'debian']);
const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]/gm;

async function listSources(top: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(top, rel), { withFileTypes: true });
    await Promise.all(entries.map(async (entry) => {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(path);
      } else if (entry.isFile() && /\.(c|h)$/.test(entry.name)) out.push(path);
    }));
  };
  await walk('');
  return out.sort();
}

/** Read every #include of the tree's C sources and headers. */
export async function scanIncludes(top: string): Promise<IncludeGraph> {
  const files = await listSources(top);
  const includes: string[][] = new Array(files.length);
  const batch = 256;
  for (let start = 0; start < files.length; start += batch) {
    await Promise.all(files.slice(start, start + batch).map(async (file, offset) => {
      const text = await readFile(join(top, file), 'latin1');
      const specs: string[] = [];
      for (const match of text.matchAll(INCLUDE)) specs.push(posix.normalize(match[1]!.trim()));
      includes[start + offset] = specs;
    }));
  }
  return { version: GRAPH_VERSION, files, includes };
}

/** The include graph of TOP, cached in CACHEFILE (the tree's sources never change in place). */
export async function includeGraph(top: string, cacheFile: string): Promise<IncludeGraph> {
  const cached = await readFile(cacheFile, 'utf8').then((t) => JSON.parse(t) as IncludeGraph, () => undefined);
  if (cached?.version === GRAPH_VERSION) return cached;
  const graph = await scanIncludes(top);
  await mkdir(dirname(cacheFile), { recursive: true });
  await writeFile(cacheFile, JSON.stringify(graph));
  return graph;
}

/** Whether an include spec may name FILE: FILE is the spec, or ends in "/" + spec, or the spec is relative ("../x.h") and resolves to it from INCLUDER. */
function mayName(spec: string, file: string, includer: string): boolean {
  if (spec.startsWith('../') || spec.startsWith('./')) return posix.normalize(posix.join(posix.dirname(includer), spec)) === file || file.endsWith('/' + spec.replace(/^(\.\.?\/)+/, ''));
  return file === spec || file.endsWith('/' + spec);
}

/**
 * Every C source of the graph that may include HEADER, directly or through other headers
 * (and through .c files included by other .c files).
 */
export function sourcesIncluding(graph: IncludeGraph, header: string): string[] {
  // Index includers by the last component of what they include, to test few candidates.
  const byBase = new Map<string, number[]>();
  graph.includes.forEach((specs, index) => {
    for (const spec of specs) {
      const base = posix.basename(spec);
      const list = byBase.get(base);
      if (list) list.push(index);
      else byBase.set(base, [index]);
    }
  });
  const seen = new Set<string>([header]);
  const queue = [header];
  const sources = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (file.endsWith('.c')) sources.add(file);
    for (const index of byBase.get(posix.basename(file)) ?? []) {
      const includer = graph.files[index]!;
      if (seen.has(includer)) continue;
      if (!graph.includes[index]!.some((spec) => mayName(spec, file, includer))) continue;
      seen.add(includer);
      queue.push(includer);
    }
  }
  return [...sources].sort();
}

/** Whether PATH exists as a file of the tree (for a header a patch adds). */
export async function isTreeFile(top: string, path: string): Promise<boolean> {
  return (await stat(join(top, path)).catch(() => undefined))?.isFile() ?? false;
}
