/**
 * Just enough of the C preprocessor to tell which files an `#include MACRO` line may name
 * without compiling: tokens, `#define` lines (object- and function-like, with `#`, `##` and
 * variadic arguments) and their expansion. Where a macro has several definitions, each is an
 * alternative, and the expansion gives every result. A macro whose value other files set (an
 * object-like macro defined in several files, such as TRACE_SYSTEM in every trace header) is not
 * chosen here: it stays a hole in the result, for each file that defines it to fill in
 * (macro-includes.ts).
 */

/** A piece of a token's spelling: text, or a hole for the value of the macro `hole`. */
export type Piece = string | { hole: string };

export interface Token {
  pieces: Piece[];
  /** Whitespace before it (stringification and header names keep a space there). */
  space: boolean;
  /** The identifier it is, while it may still be expanded. */
  id?: string;
}

export interface MacroDefinition {
  name: string;
  /** Parameters of a function-like macro (the variadic one last); undefined for an object-like macro. */
  params?: string[];
  /** The variadic parameter (`__VA_ARGS__`, or GNU's `args` of `args...`), if any. */
  variadic?: string;
  body: Token[];
  /** Defined right inside `#ifndef NAME`: a default, for when nothing defined NAME before. */
  fallback: boolean;
}

/**
 * What an expansion may do with NAME: expand it with each of its definitions (alternatives),
 * leave a hole for it, or (KEEP) also leave it as it is, as for a macro that may be undefined.
 */
export type MacroLookup = (name: string) => { definitions: readonly MacroDefinition[]; hole: boolean; keep?: boolean };

/** Results of one expansion at most (alternatives multiply); the rest are left out. */
export const EXPANSION_LIMIT = 512;
const DEPTH_LIMIT = 32;

const TOKEN = /\s+|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[A-Za-z_]\w*|\.\.\.|##|\.?\d(?:[eEpP][+-]|[\w.])*|\S/g;
const IDENTIFIER = /^[A-Za-z_]\w*$/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let space = false;
  for (const [spelling] of text.matchAll(TOKEN)) {
    if (/^\s/.test(spelling)) {
      space = true;
      continue;
    }
    tokens.push({ pieces: [spelling], space, ...(IDENTIFIER.test(spelling) ? { id: spelling } : {}) });
    space = false;
  }
  return tokens;
}

/** TEXT with comments as spaces and continued lines joined, split into lines: what directives see. */
export function logicalLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, '')
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) =>
      m.startsWith('/') ? ' ' : m,
    )
    .split('\n');
}

const DIRECTIVE = /^[ \t]*#[ \t]*(\w+)[ \t]*(.*)$/;
const DEFINE = /^([A-Za-z_]\w*)(?:\(([^)]*)\))?(.*)$/;

/** The #define lines of TEXT (a C file or header), in order. */
export function definitionsIn(text: string): MacroDefinition[] {
  const definitions: MacroDefinition[] = [];
  const conditions: Array<{ ifndef?: string; inElse: boolean }> = [];
  for (const line of logicalLines(text)) {
    const directive = DIRECTIVE.exec(line);
    if (!directive) continue;
    const [, keyword, rest] = directive as unknown as [string, string, string];
    if (keyword === 'ifndef') conditions.push({ ifndef: /^\w+/.exec(rest)?.[0], inElse: false });
    else if (keyword.startsWith('if')) conditions.push({ inElse: false });
    else if (keyword === 'else' || keyword.startsWith('elif')) {
      const top = conditions[conditions.length - 1];
      if (top) top.inElse = true;
    } else if (keyword === 'endif') conditions.pop();
    else if (keyword === 'define') {
      const match = DEFINE.exec(rest);
      if (!match) continue;
      const [, name, paramText, body] = match as unknown as [string, string, string | undefined, string];
      const top = conditions[conditions.length - 1];
      const definition: MacroDefinition = {
        name,
        body: tokenize(body),
        fallback: top?.ifndef === name && !top.inElse,
      };
      if (paramText !== undefined) {
        const params = paramText.split(',').map((p) => p.trim());
        if (params.length === 1 && params[0] === '') params.pop();
        const last = params[params.length - 1];
        if (last === '...') params[params.length - 1] = definition.variadic = '__VA_ARGS__';
        else if (last?.endsWith('...')) params[params.length - 1] = definition.variadic = last.slice(0, -3).trim();
        definition.params = params;
      }
      definitions.push(definition);
    }
  }
  return definitions;
}

/** The spelling of TOKEN, each hole given by FILL. */
export function spell(token: Token, fill: (hole: string) => string = (hole) => hole): string {
  return token.pieces.map((p) => (typeof p === 'string' ? p : fill(p.hole))).join('');
}

const plain = (token: Token | undefined) =>
  token !== undefined && token.pieces.length === 1 && typeof token.pieces[0] === 'string' ? token.pieces[0] : undefined;

function joinPieces(pieces: Piece[]): Piece[] {
  const joined: Piece[] = [];
  for (const piece of pieces) {
    const last = joined[joined.length - 1];
    if (typeof piece === 'string' && typeof last === 'string') joined[joined.length - 1] = last + piece;
    else if (piece !== '') joined.push(piece);
  }
  return joined;
}

/** `#arg`: the argument's spelling as a string literal (holes kept). */
function stringify(arg: readonly Token[], space: boolean): Token {
  const pieces: Piece[] = ['"'];
  arg.forEach((token, k) => pieces.push(...(k > 0 && token.space ? [' '] : []), ...token.pieces));
  pieces.push('"');
  return { pieces: joinPieces(pieces), space };
}

/** `a ## b`. */
function paste(left: Token, right: Token): Token {
  const pieces = joinPieces([...left.pieces, ...right.pieces]);
  const text = pieces.length === 1 && typeof pieces[0] === 'string' ? pieces[0] : undefined;
  return { pieces, space: left.space, ...(text !== undefined && IDENTIFIER.test(text) ? { id: text } : {}) };
}

/** The arguments of the call whose `(` is TOKENS[OPEN], and the index of its `)`. */
function callArguments(tokens: readonly Token[], open: number): { args: Token[][]; close: number } | undefined {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const text = plain(tokens[i]);
    if (text === '(') depth++;
    else if (text === ')' && depth-- === 0) return { args, close: i };
    else if (text === ',' && depth === 0) {
      args.push([]);
      continue;
    }
    args[args.length - 1]!.push(tokens[i]!);
  }
  return undefined;
}

/** Every combination of one alternative of each part, concatenated (at most EXPANSION_LIMIT). */
function combine(parts: readonly (readonly Token[][])[]): Token[][] {
  let results: Token[][] = [[]];
  for (const part of parts) {
    const next: Token[][] = [];
    for (const head of results)
      for (const tail of part) if (next.length < EXPANSION_LIMIT) next.push([...head, ...tail]);
    results = next;
  }
  return results;
}

const PASTE: Token = { pieces: ['##'], space: false };

class Expander {
  constructor(private readonly lookup: MacroLookup) {}

  /** Every expansion of TOKENS, with BLOCKED's macros not expanded again (the C standard's rescan rule). */
  expand(tokens: readonly Token[], blocked: ReadonlySet<string>, depth: number): Token[][] {
    if (depth > DEPTH_LIMIT) return [[...tokens]];
    const memo = new Map<number, Token[][]>();
    const from = (i: number): Token[][] => {
      if (i >= tokens.length) return [[]];
      const known = memo.get(i);
      if (known) return known;
      const options = this.options(tokens, i, blocked, depth);
      const results: Token[][] = [];
      for (const option of options) {
        const rest = from(option.next);
        for (const head of option.replacements)
          for (const tail of rest) if (results.length < EXPANSION_LIMIT) results.push([...head, ...tail]);
      }
      memo.set(i, results);
      return results;
    };
    return from(0);
  }

  /** The ways TOKENS[I] (and the call that follows a function-like macro) can expand. */
  private options(
    tokens: readonly Token[],
    i: number,
    blocked: ReadonlySet<string>,
    depth: number,
  ): Array<{ replacements: Token[][]; next: number }> {
    const token = tokens[i]!;
    const name = token.id;
    if (name === undefined || blocked.has(name)) return [{ replacements: [[token]], next: i + 1 }];
    const { definitions, hole, keep } = this.lookup(name);
    const options: Array<{ replacements: Token[][]; next: number }> = [];
    if (keep) options.push({ replacements: [[token]], next: i + 1 });
    if (hole) options.push({ replacements: [[{ pieces: [{ hole: name }], space: token.space }]], next: i + 1 });
    const inner = new Set([...blocked, name]);
    const leading = (results: Token[][]) =>
      results.map((r) => (r.length > 0 ? [{ ...r[0]!, space: token.space }, ...r.slice(1)] : r));
    for (const definition of definitions) {
      if (!definition.params) {
        options.push({ replacements: leading(this.expand(definition.body, inner, depth + 1)), next: i + 1 });
        continue;
      }
      if (plain(tokens[i + 1]) !== '(') continue;
      const call = callArguments(tokens, i + 1);
      if (!call) continue;
      const bodies = this.substitute(definition, call.args, blocked, depth);
      if (!bodies) continue;
      options.push({
        replacements: leading(bodies.flatMap((body) => this.expand(body, inner, depth + 1))),
        next: call.close + 1,
      });
    }
    return options.length > 0 ? options : [{ replacements: [[token]], next: i + 1 }];
  }

  /** DEFINITION's body with ARGS in place of its parameters; undefined when they do not fit. */
  private substitute(
    definition: MacroDefinition,
    args: Token[][],
    blocked: ReadonlySet<string>,
    depth: number,
  ): Token[][] | undefined {
    const params = definition.params!;
    let values = args;
    if (definition.variadic !== undefined) {
      const fixed = params.length - 1;
      if (args.length < fixed) return undefined;
      const rest = args.slice(fixed).flatMap((arg, k) => (k > 0 ? [{ pieces: [','], space: false }, ...arg] : arg));
      values = [...args.slice(0, fixed), rest];
    } else if (params.length === 0 ? args.length !== 1 || args[0]!.length > 0 : args.length !== params.length) {
      return undefined;
    }
    const argOf = new Map(params.map((p, k) => [p, values[k] ?? []]));
    const parts: Token[][][] = [];
    const body = definition.body;
    for (let j = 0; j < body.length; j++) {
      const token = body[j]!;
      const next = body[j + 1];
      if (plain(token) === '#' && next?.id !== undefined && argOf.has(next.id)) {
        parts.push([[stringify(argOf.get(next.id)!, token.space)]]);
        j++;
      } else if (plain(token) === '##') parts.push([[PASTE]]);
      else if (token.id !== undefined && argOf.has(token.id)) {
        const raw = argOf.get(token.id)!;
        const pasted = plain(body[j - 1]) === '##' || plain(next) === '##';
        const alternatives = pasted ? [raw] : this.expand(raw, blocked, depth + 1);
        parts.push(alternatives.map((a) => (a.length > 0 ? [{ ...a[0]!, space: token.space }, ...a.slice(1)] : a)));
      } else parts.push([[token]]);
    }
    return combine(parts).map(resolvePastes);
  }
}

/** The `##` markers of TOKENS done: each joins the tokens either side (an empty side leaves the other). */
function resolvePastes(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  let pasting = false;
  for (const token of tokens) {
    if (token === PASTE) {
      pasting = out.length > 0;
      continue;
    }
    if (pasting) out[out.length - 1] = paste(out[out.length - 1]!, token);
    else out.push(token);
    pasting = false;
  }
  return out;
}

/** Every expansion of TOKENS with LOOKUP's macros (at most EXPANSION_LIMIT). */
export function expandMacros(tokens: readonly Token[], lookup: MacroLookup): Token[][] {
  return new Expander(lookup).expand(tokens, new Set(), 0);
}

/**
 * The file an `#include` of the expanded TOKENS names, as the include graph writes it ('"x.h' or
 * '<x.h'), holes given by FILL; undefined when they make no header name.
 */
export function headerName(tokens: readonly Token[], fill?: (hole: string) => string): string | undefined {
  const first = tokens[0];
  if (!first) return undefined;
  const text = spell(first, fill);
  if (/^"[^"]+"$/.test(text)) return '"' + text.slice(1, -1).trim();
  if (text !== '<') return undefined;
  let inner = '';
  for (const token of tokens.slice(1)) {
    const part = spell(token, fill);
    if (part === '>') return inner.trim() === '' ? undefined : '<' + inner.trim();
    inner += (token.space && inner !== '' ? ' ' : '') + part;
  }
  return undefined;
}

/** The names of the holes in TOKENS. */
export function holesIn(tokens: readonly Token[]): Set<string> {
  const holes = new Set<string>();
  for (const token of tokens) for (const piece of token.pieces) if (typeof piece !== 'string') holes.add(piece.hole);
  return holes;
}
