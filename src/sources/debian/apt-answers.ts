import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonCache, writeFileAtomic } from '../../util/atomic-file.js';
import { CACHE_FORMATS } from '../../util/cache-formats.js';
import { sha256 } from '../../util/hash.js';
import type { AptContext } from './apt-context.js';

/**
 * What apt-cache answered about one apt context's package lists, remembered beside them, so
 * that a build for a release already seen asks apt nothing (each apt-cache call loads its whole
 * cache: about half a second, several per build). The answers are keyed by the lists' identity
 * (each list file's name, size and modification time): lists fetched again are other lists,
 * and every answer about the old ones is dropped with them.
 */
interface Answers {
  lists: string;
  answers: Record<string, unknown>;
}

const answersFile = (context: AptContext) => join(context.dir, 'answers.json');

/** The identity of CONTEXT's package lists as they are on disk now. */
export async function listsIdentity(context: AptContext): Promise<string> {
  const dir = join(context.dir, 'lists');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== 'lock' && n !== 'partial').sort();
  const entries = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name));
      return `${name}:${info.size}:${info.mtimeMs}`;
    }),
  );
  return sha256(entries.join('\n'));
}

/**
 * The answer to QUESTION about CONTEXT's lists: remembered, or computed by ASK and remembered.
 * Two processes may compute the same answer at once; both write the same value.
 */
export async function rememberedAnswer<T>(context: AptContext, question: string, ask: () => Promise<T>): Promise<T> {
  const lists = `${CACHE_FORMATS.aptAnswers}:${await listsIdentity(context)}`;
  const stored = await readJsonCache<Answers>(answersFile(context), () => {});
  if (stored?.lists === lists && question in stored.answers) return stored.answers[question] as T;
  const answer = await ask();
  // Read again: another process may have added answers meanwhile.
  const now = await readJsonCache<Answers>(answersFile(context), () => {});
  const answers = now?.lists === lists ? now.answers : {};
  answers[question] = answer;
  await writeFileAtomic(answersFile(context), JSON.stringify({ lists, answers } satisfies Answers));
  return answer;
}
