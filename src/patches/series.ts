/**
 * The patches of a stream, in order: a quilt `series` file (one patch a line, relative to the
 * file's directory, as `quilt` keeps patches/series), or a directory: its `series` file when it
 * has one, else its *.patch and *.diff files in name order (byte order, as `LC_ALL=C ls`:
 * 0001-..., 0002-...).
 *
 * A series line is `NAME [OPTIONS]`; `#` starts a comment, blank lines are skipped. quilt writes
 * a patch's strip level as an option (`-p0`, `-p1`, `-p ab`); this tool applies patches with
 * -p1 only (`-p1`, and quilt's `-p ab`, the a/ b/ prefixes of git, are -p1), so other levels and
 * reversed patches (`-R`) are refused with the line that asks for them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/** A patch of a series file: its name as written, and the line that names it. */
export interface SeriesLine {
  name: string;
  line: number;
}

export interface Series {
  /** The series file read, or the directory whose patches were taken in name order. */
  source: string;
  /** The patch files, in the order they apply. */
  patches: string[];
}

/** The file name quilt gives a series. */
export const SERIES_FILE = 'series';

/** The strip options that mean -p1. */
const P1 = new Set(['-p1', '-pab']);

/** The patches SERIES (the text of file WHERE) names, in order; refuses what this tool cannot apply. */
export function parseSeries(text: string, where: string): SeriesLine[] {
  const lines: SeriesLine[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const words = raw
      .replace(/(^|\s)#.*$/, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const [name, ...rest] = words;
    if (name === undefined) return;
    // quilt writes `-p ab` and `-p 0` as two words as well as one.
    const options = rest
      .join(' ')
      .replace(/-p\s+(\S+)/g, '-p$1')
      .split(/\s+/)
      .filter(Boolean);
    for (const option of options) {
      if (P1.has(option)) continue;
      const what = /^-p/.test(option)
        ? `strip level ${option} (this tool applies patches with -p1)`
        : option === '-R'
          ? 'a reversed patch (-R)'
          : `option ${option}`;
      throw new UserError(`${where}:${line}: ${name}: ${what} is not supported`, {
        hint:
          option === '-R'
            ? 'give the patch as it applies forwards (interdiff or patch -R then diff -u)'
            : 'make the patch -p1 (paths a/... and b/... from the top of the kernel tree): quilt refresh -p ab',
      });
    }
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw new UserError(`${where}:${line}: ${name} is already in the series (line ${earlier})`);
    seen.set(name, line);
    lines.push({ name, line });
  });
  return lines;
}

async function kindOf(path: string): Promise<'file' | 'directory' | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ? 'directory' : info?.isFile() ? 'file' : undefined;
}

/** The patches of a series file, each checked to be a file. */
async function readSeriesFile(file: string): Promise<Series> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot read the series ${file}: ${error.message}`);
  });
  const dir = resolve(file, '..');
  const patches: string[] = [];
  for (const { name, line } of parseSeries(text, file)) {
    const path = isAbsolute(name) ? name : join(dir, name);
    if ((await kindOf(path)) !== 'file')
      throw new UserError(`${file}:${line}: ${name}: no such patch file (${path})`, {
        hint: 'a series names its patches relative to its own directory, as quilt does',
      });
    patches.push(path);
  }
  if (patches.length === 0) throw new UserError(`${file} names no patch`);
  return { source: resolve(file), patches };
}

/** The series at PATH: a series file, or a directory (its series file, else its patches in name order). */
export async function readSeries(path: string): Promise<Series> {
  const kind = await kindOf(path);
  if (kind === undefined)
    throw new UserError(`${path}: no such series file or directory`, {
      hint: `give a quilt series file, or a directory of patches (with a ${SERIES_FILE} file, or *.patch files taken in name order)`,
    });
  if (kind === 'file') return readSeriesFile(path);
  if ((await kindOf(join(path, SERIES_FILE))) === 'file') return readSeriesFile(join(path, SERIES_FILE));
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && /\.(patch|diff)$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) throw new UserError(`${path}: no ${SERIES_FILE} file and no *.patch or *.diff file in it`);
  return { source: resolve(path), patches: names.map((name) => resolve(path, name)) };
}
