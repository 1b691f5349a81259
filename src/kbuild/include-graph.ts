import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
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
  /**
   * For each file, the includes it names, normalized, each prefixed by how it was written:
   * '"' for #include "x.h", '<' for #include <x.h>.
   */
  includes: string[][];
}

const GRAPH_VERSION = 2;
const SKIPPED_DIRS = new Set(['.git', 'Documentation', 'tools', 'debian']);
const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

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
      for (const match of text.matchAll(INCLUDE)) specs.push(match[1]! + posix.normalize(match[2]!.trim()));
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

/**
 * Whether an include of INCLUDER may name FILE. The compiler looks for #include "x.h" first in
 * the includer's own directory: when the tree has that file, it is the one. Otherwise (and for
 * #include <x.h>) any -I path may hold it, so any file whose path ends in "/x.h" may be it.
 */
function mayName(written: string, file: string, includer: string, files: ReadonlySet<string>): boolean {
  const spec = written.slice(1);
  if (written.startsWith('"')) {
    const beside = posix.normalize(posix.join(posix.dirname(includer), spec));
    if (files.has(beside)) return beside === file;
  }
  const tail = spec.replace(/^(\.\.?\/)+/, '');
  return file === tail || file.endsWith('/' + tail);
}

const indexes = new WeakMap<IncludeGraph, { byBase: Map<string, number[]>; files: Set<string> }>();

/** Includers indexed by the last component of what they include, to test few candidates. */
function graphIndex(graph: IncludeGraph): { byBase: Map<string, number[]>; files: Set<string> } {
  const known = indexes.get(graph);
  if (known) return known;
  const byBase = new Map<string, number[]>();
  graph.includes.forEach((specs, index) => {
    for (const spec of specs) {
      const base = posix.basename(spec.slice(1));
      const list = byBase.get(base);
      if (list) list.push(index);
      else byBase.set(base, [index]);
    }
  });
  const index = { byBase, files: new Set(graph.files) };
  indexes.set(graph, index);
  return index;
}

/**
 * Every C source of the graph that may include HEADER, directly or through other headers
 * (and through .c files included by other .c files).
 */
export function sourcesIncluding(graph: IncludeGraph, header: string): string[] {
  const { byBase, files } = graphIndex(graph);
  const seen = new Set<string>([header]);
  const queue = [header];
  const sources = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (file.endsWith('.c')) sources.add(file);
    for (const index of byBase.get(posix.basename(file)) ?? []) {
      const includer = graph.files[index]!;
      if (seen.has(includer)) continue;
      if (!graph.includes[index]!.some((spec) => mayName(spec, file, includer, files))) continue;
      seen.add(includer);
      queue.push(includer);
    }
  }
  return [...sources].sort();
}
