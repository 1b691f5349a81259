// A light scanner of kernel-style C: a function definition opens with '{' in column 0 after
// its header, and ends with '}' in column 0. Good enough to map changed lines to functions.
export interface CFunction {
  name: string;
  /** 1-based, inclusive: the header's first line to the closing brace. */
  start: number;
  end: number;
  init: boolean;
}

const INIT_ATTRS = /\b(__init|__exit|__initdata|__initconst|__meminit|__exitdata|__init_or_module)\b/;
export const isInitText = (text: string) => INIT_ATTRS.test(text);

/** The function name in a definition header (SYSCALL_DEFINEn(name, ...) → sys_name). */
export function nameOfHeader(header: string): string | undefined {
  const flat = header.replace(/\/\*.*?\*\//g, ' ').replace(/\s+/g, ' ');
  const syscall = /\b(?:COMPAT_)?SYSCALL_DEFINE\d\s*\(\s*(\w+)/.exec(flat);
  if (syscall) return `sys_${syscall[1]}`;
  if (/=\s*$/.test(flat) || /=\s*\{?$/.test(flat)) return undefined; // an initializer, not a function
  // The identifier before the first '(' at depth 0 that is followed by a parameter list.
  const m = /([A-Za-z_]\w*)\s*\(/.exec(flat);
  if (!m) return undefined;
  // Skip leading attribute macros such as __printf(1, 2) or __must_hold(x): take the last
  // identifier followed by '(' whose parenthesis closes at the end of the header.
  let depth = 0;
  let lastOpen = -1;
  let name: string | undefined;
  for (let i = 0; i < flat.length; i++) {
    if (flat[i] === '(') {
      if (depth === 0) lastOpen = i;
      depth++;
    } else if (flat[i] === ')') {
      depth--;
      if (depth === 0 && lastOpen >= 0) {
        const before = /([A-Za-z_]\w*)\s*$/.exec(flat.slice(0, lastOpen))?.[1];
        if (
          before &&
          !/^(__attribute__|__printf|__scanf|__must_hold|__acquires|__releases|__releases_shared|__acquires_shared|__aligned|__section|__diag_ignore|__no_sanitize_address|__nocfi|__used)$/.test(
            before,
          )
        )
          name = before;
      }
    }
  }
  return name ?? m[1];
}

export function scanFunctions(text: string): CFunction[] {
  const lines = text.split('\n');
  const functions: CFunction[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\{\s*$/.test(lines[i]!)) continue;
    let start = i;
    while (start > 0) {
      const prev = lines[start - 1]!;
      if (prev.trim() === '' || /[;}]\s*$/.test(prev) || /\*\/\s*$/.test(prev) || /^#/.test(prev)) break;
      start--;
    }
    const header = lines.slice(start, i).join('\n');
    let end = i + 1;
    while (end < lines.length && !/^\}/.test(lines[end]!)) end++;
    const name = nameOfHeader(header);
    if (name) functions.push({ name, start: start + 1, end: end + 1, init: isInitText(header) });
    i = end;
  }
  return functions;
}

export function functionAt(functions: readonly CFunction[], line: number): CFunction | undefined {
  return functions.find((f) => f.start <= line && line <= f.end);
}
