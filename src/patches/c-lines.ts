/**
 * What a line of C source is to the preprocessor, as far as a `#line` directive placed before
 * it is concerned: whether it starts inside a block comment, whether it continues the line
 * before (a backslash at its end: a macro, a string or a // comment going on), whether it holds
 * code, and whether it is a conditional directive. A light lexer: comments, string and
 * character literals, continuations and directive names; nothing is expanded.
 */

export interface CLine {
  /** The line begins inside a block comment. */
  inComment: boolean;
  /** The line before ends in a backslash, so this one is part of the same logical line. */
  continued: boolean;
  /**
   * The line holds tokens of code outside any preprocessor directive (a `__LINE__` there
   * counts where it stands; one in a macro body counts where the macro is used).
   */
  code: boolean;
  /** A conditional directive: `#if`/`#ifdef`/`#ifndef`, `#else`/`#elif...`, or `#endif`. */
  conditional?: 'open' | 'switch' | 'close';
}

type Mode = 'code' | 'block' | 'string' | 'char' | 'line-comment';

const CONTINUATION = /\\[ \t\r]*$/;
const SPACE = new Set([' ', '\t', '\r', '\f', '\v']);
const DIRECTIVE = /^\s*#\s*([a-z]+)/;
const CONDITIONALS: Record<string, CLine['conditional']> = {
  if: 'open',
  ifdef: 'open',
  ifndef: 'open',
  else: 'switch',
  elif: 'switch',
  elifdef: 'switch',
  elifndef: 'switch',
  endif: 'close',
};

/** Walk one line from MODE; the mode at its end and whether anything but comments and space was seen. */
function lexLine(text: string, start: Mode): { mode: Mode; tokens: boolean } {
  let mode = start;
  let tokens = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (mode === 'line-comment') break;
    if (mode === 'block') {
      if (c === '*' && text[i + 1] === '/') {
        mode = 'code';
        i++;
      }
      continue;
    }
    if (mode === 'string' || mode === 'char') {
      tokens = true;
      if (c === '\\') i++;
      else if (c === (mode === 'string' ? '"' : "'")) mode = 'code';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      mode = 'block';
      i++;
    } else if (c === '/' && text[i + 1] === '/') mode = 'line-comment';
    else if (c === '"') mode = 'string';
    else if (c === "'") mode = 'char';
    if (mode !== 'block' && mode !== 'line-comment' && !SPACE.has(c)) tokens = true;
  }
  return { mode, tokens };
}

/** The facts above for every line of a C file. */
export function scanCLines(lines: readonly string[]): CLine[] {
  const result: CLine[] = [];
  let mode: Mode = 'code';
  let continued = false;
  /** The logical line being continued is a preprocessor directive. */
  let inDirective = false;
  for (const text of lines) {
    const inComment = mode === 'block';
    const directive = !continued && !inComment ? DIRECTIVE.exec(text) : null;
    if (!continued) inDirective = directive !== null;
    const lexed = lexLine(text, mode);
    const line: CLine = { inComment, continued, code: lexed.tokens && !inDirective };
    const conditional = directive ? CONDITIONALS[directive[1]!] : undefined;
    if (conditional) line.conditional = conditional;
    result.push(line);
    continued = CONTINUATION.test(text);
    // A string, a character literal or a // comment ends with its line unless the line continues.
    mode = continued || lexed.mode === 'block' ? lexed.mode : 'code';
  }
  return result;
}
