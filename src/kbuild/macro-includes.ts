/**
 * `#include MACRO` lines for the include graph: `#include TRACE_INCLUDE(TRACE_INCLUDE_FILE)`
 * (every trace header, again, through include/trace/define_trace.h), `#include
 * GENL_MAGIC_INCLUDE_FILE` (include/linux/drbd_genl.h, reached by no other line), `#include
 * __FILE__`. The macro is expanded with the definitions of the file holding the line, and, for a
 * macro it does not define, with the tree's (or left undefined): a macro defined in one file is
 * taken as it is there; one defined in several files (TRACE_SYSTEM) is a hole that each file
 * defining it fills with its own value (c-macros.ts). The file named then counts as included by the file that gave the
 * value, or by the file holding the line when no hole was filled: a value is seen only by the
 * sources that read its definition. Conservative, so that a header reached only through such a
 * line is not left out of a header change: every definition of the tree is an alternative
 * (whatever #if chose it), and a hole unfilled stays its own name, as for an undefined macro.
 * Not seen: values given by -D options, and values combined from the definitions of several
 * files (other than `#ifndef` defaults).
 */
import { posix } from 'node:path';
import {
  definitionsIn,
  expandMacros,
  headerName,
  holesIn,
  logicalLines,
  spell,
  tokenize,
  type MacroDefinition,
  type MacroLookup,
  type Token,
} from './c-macros.js';

/** The expressions of the `#include MACRO` lines of TEXT. */
export function macroIncludeExpressions(text: string): string[] {
  if (!/#[ \t]*include[ \t]+[A-Za-z_]/.test(text)) return [];
  const found: string[] = [];
  for (const line of logicalLines(text)) {
    const match = /^[ \t]*#[ \t]*include[ \t]+([A-Za-z_].*?)[ \t]*$/.exec(line);
    if (match) found.push(match[1]!);
  }
  return found;
}

/** A file the tree's includes may name through a macro: FROM counts as including SPEC, looked up from SITE's directory. */
export interface MacroInclude {
  from: string;
  /** The file holding the `#include MACRO` line. */
  site: string;
  /** '"x.h' or '<x.h', as the include graph writes includes. */
  spec: string;
}

/** Definitions read from the files of a tree, on demand. */
export interface DefinitionSource {
  /** The files (tree paths) that may define NAME. */
  filesDefining(name: string): string[];
  /** The #define lines of FILE. */
  definitionsOf(file: string): Promise<MacroDefinition[]>;
}

/** How many alternatives one macro may take from the tree's definitions before it is not followed. */
const TREE_ALTERNATIVES = 16;

/**
 * What the `#include` lines with EXPRESSIONS of SITE (a tree path) may name (see the top of this
 * file), reading definitions from TREE.
 */
export async function macroIncludesOf(
  site: string,
  expressions: readonly string[],
  tree: DefinitionSource,
): Promise<MacroInclude[]> {
  const own = (await tree.definitionsOf(site)).concat({
    name: '__FILE__',
    body: tokenize(JSON.stringify(site)),
    fallback: false,
  });
  const elsewhere = new Map<string, Array<{ file: string; definition: MacroDefinition }>>();
  const load = async (name: string) => {
    const found: Array<{ file: string; definition: MacroDefinition }> = [];
    for (const file of tree.filesDefining(name)) {
      if (file === site) continue;
      for (const definition of await tree.definitionsOf(file))
        if (definition.name === name) found.push({ file, definition });
    }
    elsewhere.set(name, found);
  };
  // The expansion asks for names as it meets them: read their definitions, then expand again.
  const lookup = (missing: Set<string>): MacroLookup => {
    return (name) => {
      const mine = own.filter((d) => d.name === name);
      const theirs = elsewhere.get(name);
      if (theirs === undefined) missing.add(name);
      const others = theirs ?? [];
      const plainFiles = new Set(others.filter((o) => !o.definition.params).map((o) => o.file));
      if (mine.length > 0) return { definitions: mine, hole: mine.some((d) => d.fallback) && plainFiles.size > 0 };
      const functions = others.filter((o) => o.definition.params).map((o) => o.definition);
      const values = others.filter((o) => !o.definition.params);
      // Defined elsewhere, the macro may as well be undefined where the line is: kept too.
      return {
        definitions: [
          ...(functions.length <= TREE_ALTERNATIVES ? functions : []),
          ...(plainFiles.size === 1 ? values : values.filter((o) => o.definition.fallback)).map((o) => o.definition),
        ],
        hole: plainFiles.size > 1,
        keep: true,
      };
    };
  };
  const patterns = new Map<string, Token[]>();
  for (const expression of new Set(expressions)) {
    const tokens = tokenize(expression);
    for (;;) {
      const missing = new Set<string>();
      const results = expandMacros(tokens, lookup(missing));
      if (missing.size === 0) {
        for (const result of results) patterns.set(JSON.stringify(result.map((t) => [t.pieces, t.space])), result);
        break;
      }
      for (const name of missing) await load(name);
    }
  }
  const found = new Map<string, MacroInclude>();
  const add = (from: string, spec: string | undefined) => {
    if (spec === undefined) return;
    const written = spec[0]! + posix.normalize(spec.slice(1));
    found.set(`${from}\0${written}`, { from, site, spec: written });
  };
  const holes = new Set<string>();
  for (const pattern of patterns.values()) {
    for (const hole of holesIn(pattern)) holes.add(hole);
    add(site, headerName(pattern));
  }
  // Each file that defines a hole: the holes it defines filled with its values.
  const definers = new Set([...holes].flatMap((hole) => (elsewhere.get(hole) ?? []).map((o) => o.file)));
  for (const definer of definers) {
    const choices = fills(valuesIn(await tree.definitionsOf(definer), holes));
    for (const pattern of patterns.values()) {
      if (holesIn(pattern).size === 0) continue;
      for (const fill of choices)
        add(
          definer,
          headerName(pattern, (hole) => fill.get(hole) ?? hole),
        );
    }
  }
  return [...found.values()];
}

/** What the object-like macros HOLES are in a file of DEFINITIONS (each alternative, expanded there). */
function valuesIn(definitions: readonly MacroDefinition[], holes: ReadonlySet<string>): Map<string, string[]> {
  const local: MacroLookup = (name) => ({ definitions: definitions.filter((d) => d.name === name), hole: false });
  const values = new Map<string, string[]>();
  for (const hole of holes) {
    const texts = definitions
      .filter((d) => d.name === hole && !d.params)
      .flatMap((d) =>
        expandMacros(d.body, local).map((tokens) =>
          tokens.map((t, k) => (k > 0 && t.space ? ' ' : '') + spell(t)).join(''),
        ),
      );
    if (texts.length > 0) values.set(hole, [...new Set(texts)]);
  }
  return values;
}

/** Every choice of one value per hole of VALUES. */
function fills(values: ReadonlyMap<string, readonly string[]>): Array<Map<string, string>> {
  let choices: Array<Map<string, string>> = [new Map()];
  for (const [hole, texts] of values)
    choices = choices.flatMap((choice) => texts.map((text) => new Map([...choice, [hole, text]])));
  return choices.slice(0, 64);
}

/** What resolving a macro include needs of the include graph. */
export interface IncludeLookup {
  files: readonly string[];
  /** The file at PATH (a tree path), if the tree has it. */
  fileAt(path: string): number | undefined;
  /** Every file an include WRITTEN in INCLUDER may name, as for any `#include` (generously). */
  anyNamed(written: string, includer: string): number[];
  /** The C sources that may include FILE (without the macro includes). */
  sourcesIncluding(file: string): string[];
}

/** The directories of kbuild's own -I options (LINUXINCLUDE), for any architecture. */
const GLOBAL_INCLUDE_ROOT = /^(arch\/[^/]+\/)?include\/(generated\/)?(uapi\/)?$/;

/**
 * The files (indexes) the macro include FOUND may name. As the compiler does, "x.h" is looked
 * for beside the line's file first. Otherwise the -I options decide: the value was written to be
 * found from the sources that read its definition (a trace header's TRACE_INCLUDE_PATH "." with
 * kbuild's -I$(src)), so beside the file that gave the value, beside a C file that includes that
 * file, or under kbuild's own include directories. Only when none of them has it, any file whose
 * path ends so, as for any include (`<x.h>` always so).
 */
export function macroIncludeTargets(found: MacroInclude, tree: IncludeLookup): number[] {
  const { spec, site, from } = found;
  if (spec.startsWith('"')) {
    const path = spec.slice(1);
    const beside = tree.fileAt(posix.join(posix.dirname(site), path));
    if (beside !== undefined) return [beside];
    const tail = path.replace(/^(\.\.?\/)+/, '');
    const dirs = new Set([posix.dirname(from), ...tree.sourcesIncluding(from).map(posix.dirname)]);
    const near = [...dirs].flatMap((dir) => tree.fileAt(posix.join(dir, path)) ?? []);
    const global = tree
      .anyNamed(spec, site)
      .filter((i) => GLOBAL_INCLUDE_ROOT.test(tree.files[i]!.slice(0, tree.files[i]!.length - tail.length)));
    if (near.length + global.length > 0) return [...new Set([...near, ...global])];
  }
  return tree.anyNamed(spec, site);
}
