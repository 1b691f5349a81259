import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';

/** One file touched by a patch, with paths relative to the top of the tree (after -p1). */
export interface PatchedFile {
  path: string;
  created: boolean;
  deleted: boolean;
  /** The path before a rename, when it differs. */
  renamedFrom?: string;
}

export interface PatchFile {
  path: string;
  text: string;
  files: PatchedFile[];
}

function stripPrefix(raw: string): string | null {
  const path = raw.split('\t')[0]?.trim() ?? '';
  if (path === '/dev/null') return null;
  const slash = path.indexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** Find the files a unified diff (git or plain, applied with -p1) touches. */
export function parsePatch(path: string, text: string): PatchFile {
  const files: PatchedFile[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const minus = lines[i] ?? '';
    const plus = lines[i + 1] ?? '';
    if (!minus.startsWith('--- ') || !plus.startsWith('+++ ')) continue;
    if (!(lines[i + 2] ?? '').startsWith('@@')) continue;
    const before = stripPrefix(minus.slice(4));
    const after = stripPrefix(plus.slice(4));
    const target = after ?? before;
    if (target === null) continue;
    files.push({
      path: target,
      created: before === null,
      deleted: after === null,
      ...(before !== null && after !== null && before !== after ? { renamedFrom: before } : {}),
    });
  }
  if (files.length === 0) {
    throw new UserError(`${path}: no file changes found (expected a unified diff, as made by git diff or diff -u)`);
  }
  for (const file of files) {
    if (file.path.startsWith('/') || file.path.split('/').includes('..')) {
      throw new UserError(`${path}: refusing path ${file.path} (absolute or outside the source tree)`);
    }
  }
  return { path, text, files };
}

export async function readPatch(path: string): Promise<PatchFile> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot read patch ${path}: ${error.message}`);
  });
  return parsePatch(path, text);
}
