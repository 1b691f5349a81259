import type { ElfSection } from '../model/section.js';

/**
 * The NUL-separated strings of a section such as `.comment` (compiler identification
 * strings) or `.modinfo`. Empty strings (padding, leading NUL of .comment) are dropped.
 * A final string without a terminating NUL is kept.
 */
export function readStringList(section: ElfSection): string[] {
  const data = section.data;
  const strings: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0, start);
    if (end === -1) end = data.length;
    if (end > start) strings.push(data.toString('latin1', start, end));
    start = end + 1;
  }
  return strings;
}

/** One `key=value` entry of a module's `.modinfo` section. */
export interface ModinfoEntry {
  key: string;
  value: string;
}

/** The `key=value` entries of `.modinfo`, in order (keys such as `alias` repeat). */
export function readModinfo(section: ElfSection): ModinfoEntry[] {
  return readStringList(section).map((entry) => {
    const eq = entry.indexOf('=');
    return eq === -1 ? { key: entry, value: '' } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) };
  });
}

/** Encodes strings as a NUL-separated section body (the inverse of readStringList). */
export function encodeStringList(strings: readonly string[], leadingNul = false): Buffer {
  const body = strings.map((s) => `${s}\0`).join('');
  return Buffer.from(leadingNul ? `\0${body}` : body, 'latin1');
}
