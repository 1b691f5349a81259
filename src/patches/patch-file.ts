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

/**
 * What the extended header of one `diff --git` block says. Some git changes have no hunk and
 * so no ---/+++ lines (a pure rename, an empty file created or deleted, a mode change), yet
 * patch(1) applies them; they must be found here too, or nobody puts those files back.
 */
interface GitBlock {
  /** "a/OLD b/NEW" as written after "diff --git ". */
  header: string;
  created: boolean;
  deleted: boolean;
  from?: string;
  to?: string;
  copy: boolean;
}

/** The path of a `diff --git a/P b/P` header without rename (a/ and b/ name the same file). */
function gitHeaderPath(header: string): string | null {
  const middle = (header.length - 1) / 2;
  if (Number.isInteger(middle) && header[middle] === ' ') {
    const before = stripPrefix(header.slice(0, middle));
    if (before !== null && before === stripPrefix(header.slice(middle + 1))) return before;
  }
  const halves = header.split(' ');
  return halves.length === 2 ? stripPrefix(halves[1] ?? '') : null;
}

/** Whether a ---/+++ pair naming PATH continues this git block (not a plain diff after it). */
function namesSameFile(block: GitBlock, path: string | null): boolean {
  const expected = block.to ?? gitHeaderPath(block.header);
  return expected === null || path === expected;
}

const noGitBlock = (): GitBlock => ({ header: '', created: false, deleted: false, copy: false });

/** The file of a ---/+++ pair (null for /dev/null), completed by the git header when there is one. */
function fileOf(block: GitBlock, before: string | null, after: string | null): PatchedFile | null {
  const target = block.to ?? after ?? before ?? gitHeaderPath(block.header);
  if (target === null) return null;
  const renamedFrom = block.copy ? undefined : (block.from ?? (before !== null && after !== null ? before : undefined));
  return {
    path: target,
    created: block.created || block.copy || (before === null && after !== null),
    deleted: block.deleted || (after === null && before !== null),
    ...(renamedFrom !== undefined && renamedFrom !== target ? { renamedFrom } : {}),
  };
}

const GIT_HEADER_LINE =
  /^(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from|rename to|similarity index|dissimilarity index|index) /;

/** Read one line of the extended header; false when the line is not part of it. */
function readGitHeaderLine(block: GitBlock, line: string): boolean {
  if (!GIT_HEADER_LINE.test(line)) return false;
  if (line.startsWith('new file mode ')) block.created = true;
  else if (line.startsWith('deleted file mode ')) block.deleted = true;
  else if (line.startsWith('rename from ') || line.startsWith('copy from '))
    block.from = line.slice(line.indexOf(' from ') + 6).trim();
  else if (line.startsWith('rename to ') || line.startsWith('copy to ')) {
    block.to = line.slice(line.indexOf(' to ') + 4).trim();
    block.copy = line.startsWith('copy ');
  }
  return true;
}

/** Find the files a unified diff (git or plain, applied with -p1) touches. */
export function parsePatch(path: string, text: string): PatchFile {
  const files: PatchedFile[] = [];
  const lines = text.split('\n');
  /** The `diff --git` block whose file is not recorded yet (its extended header is being read). */
  let git: GitBlock | undefined;
  const record = (file: PatchedFile | null) => {
    if (file) files.push(file);
    git = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const minus = lines[i] ?? '';
    if (minus.startsWith('diff --git ')) {
      if (git) record(fileOf(git, null, null));
      git = { ...noGitBlock(), header: minus.slice('diff --git '.length) };
      continue;
    }
    if (git && !readGitHeaderLine(git, minus) && !minus.startsWith('--- ')) record(fileOf(git, null, null));
    if (!minus.startsWith('--- ') || !(lines[i + 1] ?? '').startsWith('+++ ')) continue;
    if (!(lines[i + 2] ?? '').startsWith('@@')) continue;
    const before = stripPrefix(minus.slice(4));
    const after = stripPrefix((lines[i + 1] ?? '').slice(4));
    if (git && !namesSameFile(git, after ?? before)) record(fileOf(git, null, null));
    record(fileOf(git ?? noGitBlock(), before, after));
  }
  if (git) record(fileOf(git, null, null));
  if (files.length === 0) {
    throw new UserError(`${path}: no file changes found (expected a unified diff, as made by git diff or diff -u)`);
  }
  for (const name of files.flatMap((f) => [f.path, ...(f.renamedFrom === undefined ? [] : [f.renamedFrom])])) {
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new UserError(`${path}: refusing path ${name} (absolute or outside the source tree)`);
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
