// Refusal categories of the tool's refusals (exit 2), and the reason lines of its message.
// The table is the tool's own (src/diff/refusal-categories.ts); --json reports it per reason.
export { refusalCategory } from '../../src/diff/refusal-categories.js';

/** The reason lines of a refusal message ("the patch cannot be live-patched safely:\n  ..."). */
export function refusalReasons(stderr: string): string[] {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^tsbuild-patch: /.test(l));
  if (start < 0) return [];
  const out = [lines[start]!.replace(/^tsbuild-patch: /, '')];
  for (const line of lines.slice(start + 1)) {
    if (/^\s{2,}\S/.test(line)) out.push(line.trim());
    else break;
  }
  return out.length > 1 ? out.slice(1) : out;
}
