/**
 * The layering of src/ (README "Layout"): no two folders import each other, the folders form no
 * cycle, and no file is in an import circle. Folders are measured twice: top-level folders of
 * src/, and every directory (where a folder's index.ts, its face, counts apart from the folder).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../../src');
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** File -> the files of src/ it imports (relative specifiers, `.js` naming the `.ts`). */
function importGraph(): Map<string, Set<string>> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one node, or a node that reaches itself (Tarjan). */
function circles<T>(graph: ReadonlyMap<T, ReadonlySet<T>>): T[][] {
  let next = 0;
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const stack: T[] = [];
  const onStack = new Set<T>();
  const found: T[][] = [];
  const visit = (node: T): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: T[] = [];
    let member: T;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The folder graph under FOLDER (a file's folder), with the file imports behind each arrow. */
function folderGraph(files: Map<string, Set<string>>, folder: (file: string) => string) {
  const graph = new Map<string, Set<string>>();
  const why = new Map<string, string[]>();
  for (const [file, targets] of files) {
    for (const target of targets) {
      const [from, to] = [folder(file), folder(target)];
      if (from === to) continue;
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
      why.set(`${from} -> ${to}`, [
        ...(why.get(`${from} -> ${to}`) ?? []),
        `${relative(SRC, file)} -> ${relative(SRC, target)}`,
      ]);
    }
  }
  const twoWay = [...why.keys()]
    .filter((arrow) => why.has(arrow.split(' -> ').reverse().join(' -> ')))
    .map((arrow) => `${arrow}: ${why.get(arrow)!.join(', ')}`);
  return { twoWay, cycles: circles(graph).map((c) => c.sort().join(', ')) };
}

const topFolder = (file: string) => relative(SRC, file).split('/')[0]!;
const directory = (file: string) => {
  const path = relative(SRC, file);
  return path.endsWith('/index.ts') ? path : dirname(path);
};

describe('the import graph of src/', () => {
  const files = importGraph();

  it('has no two top-level folders importing each other, and no cycle of them', () => {
    expect(folderGraph(files, topFolder)).toEqual({ twoWay: [], cycles: [] });
  });

  it('has no two directories importing each other, and no cycle of them (a folder face, index.ts, apart)', () => {
    expect(folderGraph(files, directory)).toEqual({ twoWay: [], cycles: [] });
  });

  it('has no file in an import circle', () => {
    expect(circles(files).map((c) => c.map((file) => relative(SRC, file)).sort())).toEqual([]);
  });
});
