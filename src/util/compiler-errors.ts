/**
 * The lines of a build log a user needs when a build fails: the compiler's `error:` lines with
 * their file:line, the "In function" / "In file included from" lines before them and gcc's
 * source excerpt after them; linker and modpost errors too. Not a tail of the log, which is
 * mostly make's own "Error 1" lines.
 */

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** gcc/clang: `path:line[:col]: [fatal ]error: message` */
const COMPILER_ERROR = /^[^\s:][^:]*:\d+(?::\d+)?: (?:fatal )?error: /;
/** modpost (`ERROR: modpost: "sym" [m.ko] undefined!`), ld (`undefined reference to`, `ld: ... error`). */
const OTHER_ERROR = [/^ERROR: /, /: undefined reference to /, /^\S*\bld(?:\.bfd|\.gold)?: .*\b(?:error|cannot find)\b/];
/** Lines gcc prints before a diagnostic to say where it is. */
const LOCATION = [
  /^[^\s:][^:]*: (?:In (?:member )?function|In static member function|At top level|In (?:constructor|destructor))\b/,
  /^In file included from /,
  /^\s+from [^\s:][^:]*:\d+[:,]$/,
  /^\S*\bld(?:\.bfd|\.gold)?: .*: in function .*:$/,
];
/** gcc's source excerpt under a diagnostic: `   12 |   code` and `      |   ^~~`. */
const EXCERPT = /^\s*\d*\s+\|/;

export interface ErrorBlock {
  /** The error line itself (file:line: error: ...). */
  error: string;
  /** The error line with the location lines before it and the excerpt after it. */
  lines: string[];
}

export interface ExtractOptions {
  /** Excerpt lines kept after each error line (default 4). */
  context?: number;
}

const isError = (line: string) => COMPILER_ERROR.test(line) || OTHER_ERROR.some((re) => re.test(line));

/** Every error of a build log, in order, each with its context. */
export function extractErrors(log: string, options: ExtractOptions = {}): ErrorBlock[] {
  const context = options.context ?? 4;
  const lines = log
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''));
  const blocks: ErrorBlock[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!isError(line)) continue;
    // The same error twice (a header included by two objects of one build) is shown once.
    if (seen.has(line)) continue;
    seen.add(line);
    let first = i;
    while (first > 0 && LOCATION.some((re) => re.test(lines[first - 1]!))) first--;
    let last = i;
    while (last + 1 < lines.length && last - i < context && EXCERPT.test(lines[last + 1]!)) last++;
    blocks.push({ error: line, lines: lines.slice(first, last + 1) });
  }
  return blocks;
}

/**
 * The errors of a build log for a message: at most MAX errors with their context, and how many
 * more there are; undefined when the log has no recognizable error line.
 */
export function formatErrors(log: string, options: ExtractOptions & { max?: number } = {}): string | undefined {
  const blocks = extractErrors(log, options);
  if (blocks.length === 0) return undefined;
  const max = options.max ?? 5;
  const shown = blocks.slice(0, max);
  // A location line ("In function f") repeated by consecutive errors is printed once.
  const out: string[] = [];
  let previousLocation: string[] = [];
  for (const block of shown) {
    const at = block.lines.indexOf(block.error);
    const location = block.lines.slice(0, at);
    const same = location.length > 0 && location.join('\n') === previousLocation.join('\n');
    out.push(...(same ? block.lines.slice(at) : block.lines));
    previousLocation = location;
  }
  if (blocks.length > max) out.push(`... and ${blocks.length - max} more error(s) in the log`);
  return out.join('\n');
}

/** The last N lines of a log, for a failure without a recognizable error line. */
export function logTail(log: string, count = 20): string {
  return log.replace(ANSI, '').trimEnd().split('\n').slice(-count).join('\n');
}
