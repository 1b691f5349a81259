/**
 * Line numbers kept across a patch. Lines a patch adds or removes shift the line number of every
 * line below them, and with it each `__LINE__` there (WARN, might_sleep, BUG tables, printk
 * callers): functions the patch did not touch would compile differently. So the patched build
 * gets, before the first unchanged line after each change, a `#line N` directive giving that
 * line its number from before the patch. Changed lines take whatever numbers follow (they
 * changed anyway).
 *
 * The directives are computed from each C source or header as it was before the patches and as
 * they left it, and written as a patch of their own, applied after the user's: several patches
 * may change one file, and a directive added to the first would break the context of the next.
 *
 * A directive goes only where the preprocessor reads it as one: not inside a block comment and
 * not after a line continued with a backslash (a macro, a string). It then waits for the next
 * such line, and a line of code that keeps a shifted number meanwhile is reported. A directive
 * in a conditional group that is skipped (`#if 0`, an unset config option) does nothing, so
 * after that group ends or switches the numbering is set again.
 */
import { scanCLines } from './c-lines.js';
import { keptLineNumbers } from './line-alignment.js';

/** One file as it was before the patches and as they left it (read byte for byte, as latin1). */
export interface PatchedSource {
  path: string;
  before: string;
  after: string;
}

export interface LineKeeping {
  /** A unified diff (applied with -p1) adding the directives; empty when no file needs one. */
  patch: string;
  /** How many directives each file gets (files that get none are left out). */
  directives: Map<string, number>;
  /** Where numbers stay shifted (lines of code no directive could reach), in words. */
  notes: string[];
}

const DESCRIPTION =
  'Line keeping (tsbuild-patch): #line directives after the changes of the patches give the unchanged lines their numbers from before.';

/** The files whose line numbers are kept: C sources and headers. */
export function keepsLineNumbers(path: string): boolean {
  return /\.[ch]$/.test(path);
}

/** The lines of a text (a last line without newline is a line). */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

interface Placement {
  /** Index of a line of the patched file -> the number the directive before it sets. */
  directives: Map<number, number>;
  /** Runs of lines of code (1-based, in the patched file) that keep a shifted number. */
  shifted: { from: number; to: number; by: number }[];
}

/** Where the directives go in AFTER (lines), so that each kept line has its number of BEFORE. */
function placeDirectives(after: readonly string[], kept: readonly (number | undefined)[]): Placement {
  const facts = scanCLines(after);
  const placement: Placement = { directives: new Map(), shifted: [] };
  /** The number the compiler gives the line (every conditional group taken). */
  let presumed = 1;
  /** A group holding a directive of ours was left or switched: set the numbering again. */
  let resync = false;
  /** Per open conditional group: whether it holds a directive of ours. */
  const groups: boolean[] = [];
  for (let i = 0; i < after.length; i++) {
    const line = facts[i]!;
    const origin = kept[i];
    if (origin !== undefined && (origin !== presumed || resync)) {
      const endsGroup = line.conditional === 'switch' || line.conditional === 'close';
      if (!line.inComment && !line.continued && !endsGroup) {
        placement.directives.set(i, origin);
        presumed = origin;
        resync = false;
        if (groups.length > 0) groups[groups.length - 1] = true;
      } else if (line.code && origin !== presumed) {
        const last = placement.shifted.at(-1);
        const by = presumed - origin;
        if (last && last.to === i && last.by === by) last.to = i + 1;
        else placement.shifted.push({ from: i + 1, to: i + 1, by });
      }
    }
    if (line.conditional === 'open') groups.push(false);
    else if (line.conditional === 'switch' && groups.at(-1)) {
      groups[groups.length - 1] = false;
      resync = true;
    } else if (line.conditional === 'close' && groups.pop()) resync = true;
    presumed++;
  }
  return placement;
}

/**
 * The hunks that add PLACEMENT's directives to PATH: one per directive, without context lines
 * (the positions come from the file itself; and the patch stays ASCII whatever the file's
 * encoding).
 */
function directiveHunks(path: string, placement: Placement): string {
  const out: string[] = [`--- a/${path}`, `+++ b/${path}`];
  const at = [...placement.directives.keys()].sort((a, b) => a - b);
  at.forEach((index, earlier) => {
    // An empty range names the line it follows: the directive goes after line INDEX (1-based).
    out.push(`@@ -${index},0 +${index + 1 + earlier},1 @@`, `+#line ${placement.directives.get(index)}`);
  });
  return `${out.join('\n')}\n`;
}

function shiftedNote(path: string, run: { from: number; to: number; by: number }): string {
  const lines =
    run.from === run.to
      ? `line ${run.from} (as patched) keeps its number`
      : `lines ${run.from}-${run.to} (as patched) keep their numbers`;
  return (
    `${path}: ${lines} shifted by ${run.by > 0 ? '+' : ''}${run.by}: ` +
    'no #line directive can go inside a block comment or after a line continued with a backslash; ' +
    'a __LINE__ there can make its function differ'
  );
}

/** The patch that keeps the line numbers of FILES' unchanged lines, and what it could not keep. */
export function lineKeepingPatch(files: readonly PatchedSource[]): LineKeeping {
  const result: LineKeeping = { patch: '', directives: new Map(), notes: [] };
  for (const file of files) {
    if (!keepsLineNumbers(file.path) || file.before === file.after) continue;
    const lines = splitLines(file.after);
    const kept = keptLineNumbers(splitLines(file.before), lines);
    if (kept === undefined) {
      result.notes.push(
        `${file.path}: too many lines changed to align the file with its original; line numbers not kept`,
      );
      continue;
    }
    const placement = placeDirectives(lines, kept);
    result.notes.push(...placement.shifted.map((run) => shiftedNote(file.path, run)));
    if (placement.directives.size === 0) continue;
    result.directives.set(file.path, placement.directives.size);
    result.patch += directiveHunks(file.path, placement);
  }
  if (result.patch !== '') result.patch = `${DESCRIPTION}\n\n${result.patch}`;
  return result;
}
