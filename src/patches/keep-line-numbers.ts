/**
 * Line keeping (line-keeping.ts) on a tree: the C sources and headers the patches change are
 * read before the patches are applied and after; the directives are written as a patch file of
 * the run and applied to the tree with patch(1), as the user's patches are (it replaces a file,
 * never writes through a hard link the tree shares with another). The user's patch files are
 * never written.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/log.js';
import { applyPatch } from './apply-patch.js';
import { keepsLineNumbers, lineKeepingPatch } from './line-keeping.js';
import { parsePatch, type PatchFile } from './patch-file.js';

/** Byte for byte: a file in any encoding reads, compares and lexes exactly. */
const BYTES = 'latin1';

/**
 * The C sources and headers PATCHES change, as they are in DIR before the patches (path ->
 * text). Files a patch creates or renames have no numbers to keep.
 */
export async function sourcesBeforePatches(dir: string, patches: readonly PatchFile[]): Promise<Map<string, string>> {
  const files = patches.flatMap((patch) => patch.files);
  const fresh = new Set(files.filter((f) => f.created || f.renamedFrom !== undefined).map((f) => f.path));
  const sources = new Map<string, string>();
  for (const { path } of files) {
    if (!keepsLineNumbers(path) || fresh.has(path) || sources.has(path)) continue;
    const text = await readFile(join(dir, path), BYTES).catch(() => undefined);
    if (text !== undefined) sources.set(path, text);
  }
  return sources;
}

/**
 * After the patches: the directives that keep BEFORE's line numbers, written to PATCHFILE and
 * applied to DIR. Returns the places where numbers stay shifted (also logged), for the warnings.
 */
export async function keepLineNumbers(
  dir: string,
  before: ReadonlyMap<string, string>,
  patchFile: string,
  log: Logger,
): Promise<string[]> {
  const files = [];
  for (const [path, text] of before) {
    const after = await readFile(join(dir, path), BYTES).catch(() => undefined);
    if (after !== undefined) files.push({ path, before: text, after });
  }
  const keeping = lineKeepingPatch(files);
  for (const note of keeping.notes) log(note);
  if (keeping.patch === '') return keeping.notes;
  await mkdir(dirname(patchFile), { recursive: true });
  await writeFile(patchFile, keeping.patch);
  await applyPatch(dir, parsePatch(patchFile, keeping.patch));
  const counts = [...keeping.directives].map(([path, count]) => `${path} (${count})`).join(', ');
  log(`line numbers kept with #line directives: ${counts}; ${patchFile}`);
  return keeping.notes;
}
