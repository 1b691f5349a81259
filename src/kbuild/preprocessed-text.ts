/**
 * What of a preprocessed source the compiled object depends on, as a fingerprint to compare the
 * original with the patched. The preprocessor's line markers (`# 12 "include/linux/x.h" 1`) only
 * say where each line came from: they change with every line a patch adds or removes above, and
 * feed nothing but the debug information, which the differ ignores. Blank lines, and the spaces
 * that start or end a line, are no part of any token. So two texts that differ only there
 * compile to the same code. Everything else counts, `__LINE__` and `__FILE__` included: they
 * are expanded in the text, so a number that really moved (a line no `#line` directive of the
 * line keeping could reach) is a difference, as it is for the compiler.
 *
 * The exception: gcc's `__builtin_LINE()`, `__builtin_FILE()` and `__builtin_COLUMN()` take the
 * position of the call from the markers, not from the text; a text that calls one is compared
 * with its markers and blank lines.
 */
import { createHash } from 'node:crypto';

export interface PreprocessedFingerprint {
  /** sha256 of the text without line markers, blank lines, and spaces at either end of a line. */
  tokens: string;
  /** sha256 of the text as the preprocessor wrote it. */
  exact: string;
  /** It calls a builtin whose value is the position of the call. */
  positional: boolean;
}

/** A line marker (`# 12 "file" 1`; `#line 12 "file"` from other preprocessors). */
const LINE_MARKER = /^#\s*(?:line\s+)?\d+(?:\s|$)/;
const POSITIONAL_BUILTIN = /\b__builtin_(?:LINE|FILE|COLUMN)\b/;
/** Spaces at either end of a line: ASCII only (a byte of a UTF-8 identifier read as latin1 may look like a space to trim()). */
const EDGE_SPACES = /^[ \t\r\f\v]+|[ \t\r\f\v]+$/g;

/** The fingerprint of TEXT, a preprocessor's output (read as latin1: byte for byte). */
export function fingerprintPreprocessed(text: string): PreprocessedFingerprint {
  const tokens = createHash('sha256');
  for (const line of text.split('\n')) {
    if (LINE_MARKER.test(line)) continue;
    const kept = line.replace(EDGE_SPACES, '');
    if (kept === '') continue;
    tokens.update(kept, 'latin1');
    tokens.update('\n');
  }
  return {
    tokens: tokens.digest('hex'),
    exact: createHash('sha256').update(text, 'latin1').digest('hex'),
    positional: POSITIONAL_BUILTIN.test(text),
  };
}

/** Whether the objects of two preprocessed texts compile to the same code (see above). */
export function samePreprocessed(a: PreprocessedFingerprint, b: PreprocessedFingerprint): boolean {
  if (a.positional || b.positional) return a.exact === b.exact;
  return a.tokens === b.tokens;
}
