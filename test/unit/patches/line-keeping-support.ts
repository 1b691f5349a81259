/**
 * For line-keeping tests: C sources whose lines carry their own number (`MARK` on line N becomes
 * `int mark_N = __LINE__;`), user patches made with diff -u and applied with patch(1) as the tool
 * applies them, line keeping run on the result, and the numbers the real preprocessor gives.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { applyPatch } from '../../../src/patches/apply-patch.js';
import { keepLineNumbers, sourcesBeforePatches } from '../../../src/patches/keep-line-numbers.js';
import { parsePatch } from '../../../src/patches/patch-file.js';

/** TEMPLATE with each `MARK` replaced by a declaration holding its line's number and `__LINE__`. */
export function numbered(template: string): string {
  return template
    .split('\n')
    .map((line, index) => line.replace('MARK', `int mark_${index + 1} = __LINE__;`))
    .join('\n');
}

/** A unified diff of BEFORE to AFTER for PATH (a/ and b/ prefixes), as diff -u makes it. */
export async function unifiedDiff(dir: string, path: string, before: string, after: string): Promise<string> {
  await mkdir(join(dir, 'diff', 'a', dirname(path)), { recursive: true });
  await mkdir(join(dir, 'diff', 'b', dirname(path)), { recursive: true });
  await writeFile(join(dir, 'diff', 'a', path), before);
  await writeFile(join(dir, 'diff', 'b', path), after);
  const result = await execa('diff', ['-u', `a/${path}`, `b/${path}`], { cwd: join(dir, 'diff'), reject: false });
  if (result.exitCode !== 1) throw new Error(`diff -u failed: ${result.stderr}`);
  return result.stdout.replace(/^(---|\+\+\+) (\S+)\t.*$/gm, '$1 $2') + '\n';
}

export interface KeptRun {
  /** The file in the tree after the user's patches and the line keeping. */
  text: string;
  /** What line keeping reported (shifted lines). */
  notes: string[];
  /** The log lines (directive counts and the run's patch file). */
  log: string[];
  /** The run's line-keeping patch, if one was written. */
  keeping?: string;
}

/**
 * PATH holding BEFORE in a tree, the user's PATCHES (texts) applied in order as the patched build
 * applies them, then the line keeping. The patch files are written first and must stay as given.
 */
export async function patchWithLineKeeping(
  dir: string,
  path: string,
  before: string,
  patches: readonly string[],
): Promise<KeptRun> {
  const tree = join(dir, 'tree');
  await mkdir(join(tree, dirname(path)), { recursive: true });
  await writeFile(join(tree, path), before);
  const files = await Promise.all(
    patches.map(async (text, i) => {
      const file = join(dir, `user-${i}.patch`);
      await writeFile(file, text);
      return parsePatch(file, text);
    }),
  );
  const sources = await sourcesBeforePatches(tree, files);
  for (const patch of files) await applyPatch(tree, patch);
  const log: string[] = [];
  const keepingFile = join(dir, 'run', 'line-keeping.patch');
  const notes = await keepLineNumbers(tree, sources, keepingFile, (message) => log.push(message));
  for (const [i, text] of patches.entries()) {
    if ((await readFile(join(dir, `user-${i}.patch`), 'utf8')) !== text) throw new Error(`user patch ${i} was written`);
  }
  const keeping = await readFile(keepingFile, 'utf8').catch(() => undefined);
  return { text: await readFile(join(tree, path), 'utf8'), notes, log, ...(keeping ? { keeping } : {}) };
}

/** mark number -> the __LINE__ the preprocessor gives it, for the marks of SOURCE it keeps. */
export async function presumedMarks(source: string, defines: readonly string[] = []): Promise<Map<number, number>> {
  const { stdout } = await execa('gcc', ['-E', '-P', ...defines.map((d) => `-D${d}`), '-x', 'c', '-'], {
    input: source,
  });
  return new Map([...stdout.matchAll(/mark_(\d+) = (\d+);/g)].map((m) => [Number(m[1]), Number(m[2])]));
}

/** The marks of AFTER whose __LINE__ is not what it is in BEFORE (both through gcc -E with DEFINES). */
export async function shiftedMarks(before: string, after: string, defines: readonly string[] = []): Promise<number[]> {
  const original = await presumedMarks(before, defines);
  return [...(await presumedMarks(after, defines))]
    .filter(([mark, line]) => original.get(mark) !== line)
    .map(([mark]) => mark);
}
