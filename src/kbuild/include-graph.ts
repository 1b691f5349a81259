import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { readJsonCache, writeFileAtomic } from '../util/atomic-file.js';
import { CACHE_FORMATS } from '../util/cache-formats.js';
import type { Logger } from '../util/log.js';
import type { MacroDefinition } from './c-macros.js';
import { definitionsIn } from './c-macros.js';
import { DefinitionSites } from './definition-sites.js';
import { macroIncludeExpressions, macroIncludesOf, macroIncludeTargets } from './macro-includes.js';

/**
 * Which sources can include a header, found without building: every `#include` line of every
 * C source and header of the tree (`#include MACRO` lines too: macro-includes.ts), and every
 * `-include FILE` of its Makefiles, resolved generously. The sources found for a header are always a superset of those the compiler
 * really makes depend on it (whatever the include paths and the #ifdefs); kbuild's dependency
 * files then give the exact set.
 */
export interface IncludeGraph {
  version: number;
  /** C sources and headers of the tree (relative paths), indexed by the numbers below. */
  files: string[];
  /**
   * For each file, the includes it names, normalized, each prefixed by how it was written:
   * '"' for #include "x.h", '<' for #include <x.h>.
   */
  includes: string[][];
  /**
   * Headers that kbuild makes the compiler include before the source (`-include FILE` in a
   * Makefile): for every C file under DIR ('' for all), as if it began with #include <FILE>.
   */
  forced: Array<{ dir: string; spec: string }>;
  /**
   * What `#include MACRO` lines may name (macro-includes.ts), resolved: [FROM, TO] when file
   * FROM (an index) counts as including file TO through such a line.
   */
  macroEdges: Array<[number, number]>;
}

/** Top-level directories with no kernel code (user-space tools, documentation). */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'Documentation', 'tools', 'debian']);
const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

/** The literal includes of TEXT, each prefixed by how it was written: '"x.h' or '<x.h' (normalized). */
export function includesOf(text: string): string[] {
  return [...text.matchAll(INCLUDE)].map((match) => match[1]! + posix.normalize(match[2]!.trim()));
}

/** Where an include WRITTEN ('"x.h' or '<x.h') of INCLUDER names a file beside it, when written with quotes. */
export function besideIncluder(written: string, includer: string): string | undefined {
  return written.startsWith('"') ? posix.normalize(posix.join(posix.dirname(includer), written.slice(1))) : undefined;
}

/** What any -I path may hold for an include WRITTEN: the spec without its leading ./ and ../ (a file ending in /TAIL). */
export function includeTail(written: string): string {
  return written.slice(1).replace(/^(\.\.?\/)+/, '');
}
const FORCED_INCLUDE = /-include[ \t]+(\S+\.h)\b/g;
const isMakefile = (name: string) => name === 'Makefile' || name === 'Kbuild' || /^Makefile\.|\.mk$/.test(name);

async function listFiles(top: string): Promise<{ sources: string[]; makefiles: string[] }> {
  const sources: string[] = [];
  const makefiles: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(top, rel), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (rel !== '' || !SKIPPED_DIRS.has(entry.name)) await walk(path);
        } else if (entry.isFile()) {
          if (/\.(c|h)$/.test(entry.name)) sources.push(path);
          else if (isMakefile(entry.name)) makefiles.push(path);
        }
      }),
    );
  };
  await walk('');
  return { sources: sources.sort(), makefiles: makefiles.sort() };
}

/** `-include FILE` of one Makefile: FILE as the compiler will look for it, and whom it applies to. */
export function forcedIncludesOf(makefile: string, text: string): Array<{ dir: string; spec: string }> {
  const found: Array<{ dir: string; spec: string }> = [];
  const here = posix.dirname(makefile) === '.' ? '' : posix.dirname(makefile);
  // The top Makefile and scripts/Makefile.* hold the flags of every object.
  const dir = here === '' || here === 'scripts' ? '' : here;
  for (const match of text.matchAll(FORCED_INCLUDE)) {
    const raw = match[1]!;
    let spec: string;
    if (raw.startsWith('$(srctree)/')) spec = raw.slice('$(srctree)/'.length);
    else if (/^\$\((src|obj)\)\//.test(raw)) spec = posix.join(here, raw.replace(/^\$\((src|obj)\)\//, ''));
    else spec = raw.replace(/^.*\)\//, ''); // another variable: any file of that name may be meant
    found.push({ dir, spec: '<' + posix.normalize(spec) });
  }
  return found;
}

/** Read every #include of the tree's C sources and headers, and every -include of its Makefiles. */
export async function scanIncludes(top: string): Promise<IncludeGraph> {
  const { sources: files, makefiles } = await listFiles(top);
  const includes: string[][] = new Array(files.length);
  const definitionSites = new DefinitionSites();
  const sites: Array<{ site: number; expressions: string[] }> = [];
  const batch = 256;
  for (let start = 0; start < files.length; start += batch) {
    await Promise.all(
      files.slice(start, start + batch).map(async (file, offset) => {
        const text = await readFile(join(top, file), 'latin1');
        includes[start + offset] = includesOf(text);
        definitionSites.note(start + offset, text);
        const expressions = macroIncludeExpressions(text);
        if (expressions.length > 0) sites.push({ site: start + offset, expressions });
      }),
    );
  }
  const forced: Array<{ dir: string; spec: string }> = [];
  for (const makefile of makefiles) {
    const text = await readFile(join(top, makefile), 'latin1');
    if (text.includes('-include')) forced.push(...forcedIncludesOf(makefile, text));
  }
  const graph = { version: CACHE_FORMATS.includeGraph, files, includes, forced, macroEdges: [] };
  return { ...graph, macroEdges: await macroEdgesOf(top, graph, sites, definitionSites) };
}

/** The edges of the `#include MACRO` lines of SITES, in GRAPH (of TOP, without them yet; macro-includes.ts). */
async function macroEdgesOf(
  top: string,
  graph: IncludeGraph,
  sites: ReadonlyArray<{ site: number; expressions: string[] }>,
  definitionSites: DefinitionSites,
): Promise<Array<[number, number]>> {
  const { files } = graph;
  const definitions = new Map<string, Promise<MacroDefinition[]>>();
  const tree = {
    filesDefining: (name: string) => definitionSites.candidates(name).map((i) => files[i]!),
    definitionsOf: (file: string) => {
      if (!definitions.has(file))
        definitions.set(
          file,
          readFile(join(top, file), 'latin1').then(definitionsIn, () => []),
        );
      return definitions.get(file)!;
    },
  };
  const { index, resolveInclude } = includeResolver(files);
  const lookup = {
    files,
    fileAt: (path: string) => index.get(posix.normalize(path)),
    anyNamed: resolveInclude,
    sourcesIncluding: (file: string) => sourcesIncluding(graph, file),
  };
  const edges = new Set<string>();
  for (const { site, expressions } of [...sites].sort((a, b) => a.site - b.site))
    for (const found of await macroIncludesOf(files[site]!, expressions, tree)) {
      const from = index.get(found.from)!;
      for (const to of macroIncludeTargets(found, lookup)) if (to !== from) edges.add(`${from},${to}`);
    }
  return [...edges].map((edge) => edge.split(',').map(Number) as [number, number]);
}

/**
 * The include graph of TOP, cached in CACHEFILE (the tree's sources never change in place); a
 * damaged cache file is rebuilt (LOG says so).
 */
export async function includeGraph(top: string, cacheFile: string, log?: Logger): Promise<IncludeGraph> {
  const cached = await readJsonCache<IncludeGraph>(cacheFile, log);
  if (cached?.version === CACHE_FORMATS.includeGraph) return cached;
  const graph = await scanIncludes(top);
  await writeFileAtomic(cacheFile, JSON.stringify(graph));
  return graph;
}

/** The graph with every include resolved to the files it may name, both ways. */
interface ResolvedGraph {
  index: Map<string, number>;
  /** File → files it may include (with the forced includes of a C file). */
  forward: number[][];
  /** File → files that may include it. */
  reverse: number[][];
}

const resolvedGraphs = new WeakMap<IncludeGraph, ResolvedGraph>();

/**
 * How the includes of the tree's FILES are resolved: the files an include WRITTEN ('"x.h' or
 * '<x.h') of INCLUDER may name. The compiler looks for #include "x.h" first in the includer's
 * own directory: when the tree has that file, it is the one. Otherwise (and for #include <x.h>)
 * any -I path may hold it, so any file whose path ends in "/x.h" may be it.
 */
function includeResolver(files: readonly string[]): {
  index: Map<string, number>;
  resolveInclude: (written: string, includer: string) => number[];
} {
  const index = new Map(files.map((f, i) => [f, i]));
  const byBase = new Map<string, number[]>();
  files.forEach((file, i) => {
    const base = posix.basename(file);
    const list = byBase.get(base);
    if (list) list.push(i);
    else byBase.set(base, [i]);
  });
  const resolveInclude = (written: string, includer: string): number[] => {
    const path = besideIncluder(written, includer);
    const beside = path === undefined ? undefined : index.get(path);
    if (beside !== undefined) return [beside];
    const tail = includeTail(written);
    return (byBase.get(posix.basename(tail)) ?? []).filter((i) => files[i] === tail || files[i]!.endsWith('/' + tail));
  };
  return { index, resolveInclude };
}

function resolve(graph: IncludeGraph): ResolvedGraph {
  const known = resolvedGraphs.get(graph);
  if (known) return known;
  const { files } = graph;
  const { index, resolveInclude } = includeResolver(files);
  const forward: number[][] = files.map((file, i) => {
    const specs = [...graph.includes[i]!];
    if (file.endsWith('.c'))
      for (const f of graph.forced) if (f.dir === '' || file.startsWith(f.dir + '/')) specs.push(f.spec);
    return specs.flatMap((spec) => resolveInclude(spec, file));
  });
  for (const [from, to] of graph.macroEdges) forward[from]!.push(to);
  forward.forEach((targets, i) => (forward[i] = [...new Set(targets)]));
  const reverse: number[][] = files.map(() => []);
  forward.forEach((targets, from) => {
    for (const to of targets) reverse[to]!.push(from);
  });
  const resolved = { index, forward, reverse };
  resolvedGraphs.set(graph, resolved);
  return resolved;
}

function closure(start: number, edges: readonly number[][]): number[] {
  const seen = new Uint8Array(edges.length);
  const queue = [start];
  seen[start] = 1;
  for (let at = 0; at < queue.length; at++) {
    for (const next of edges[queue[at]!]!) {
      if (seen[next]) continue;
      seen[next] = 1;
      queue.push(next);
    }
  }
  return queue;
}

/**
 * Every C source of the graph that may include HEADER, directly, through other headers, through
 * .c files included by other .c files, or through a Makefile's -include.
 */
export function sourcesIncluding(graph: IncludeGraph, header: string): string[] {
  const resolved = resolve(graph);
  const start = resolved.index.get(header);
  if (start === undefined) return [];
  return closure(start, resolved.reverse)
    .map((i) => graph.files[i]!)
    .filter((f) => f.endsWith('.c'))
    .sort();
}

/** Every header (and included .c) that SOURCE may include: the same relation, the other way. */
export function headersIncludedBy(graph: IncludeGraph, source: string): Set<string> {
  const resolved = resolve(graph);
  const start = resolved.index.get(source);
  if (start === undefined) return new Set();
  return new Set(
    closure(start, resolved.forward)
      .map((i) => graph.files[i]!)
      .filter((f) => f !== source),
  );
}
