/**
 * The peer corpus (kpatch unit-test objects, in the repository: test/data/kpatch-unit-objs, see
 * its README.md): where it is (corpus-location.ts), how to read its expectations, and how its
 * entry-size names map to ours.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusMissingMessage, locateCorpus, repositoryRoot } from './corpus-location.js';

const LOCATION = locateCorpus(process.env.KPATCH_UNIT_OBJS, repositoryRoot(dirname(fileURLToPath(import.meta.url))));

/** The corpus's case directory; when it is missing, the first place looked at (for messages). */
export const CORPUS_DIR = LOCATION.directory ?? (LOCATION.lookedAt[0] as string);

export interface CorpusCase {
  name: string;
  orig: string;
  patched: string;
  outcome: 'changed' | 'no-change' | 'refused';
  changedFunctions: string[];
  newFunctions: string[];
  callbacks: string[];
  messages: string[];
  outputFunctionCount?: number;
  outputCheck?: string;
  specialEntrySizes: Record<string, number>;
}

/** The reference tool's environment names for entry sizes, and the sections they size. */
const REFERENCE_SIZE_NAMES: Record<string, string> = {
  PARA_STRUCT_SIZE: '.parainstructions',
  EX_STRUCT_SIZE: '__ex_table',
  BUG_STRUCT_SIZE: '__bug_table',
  ALT_STRUCT_SIZE: '.altinstructions',
  JUMP_STRUCT_SIZE: '__jump_table',
  ORC_STRUCT_SIZE: '.orc_unwind',
  STATIC_CALL_STRUCT_SIZE: '.static_call_sites',
  PRINTK_INDEX_STRUCT_SIZE: '.printk_index',
};

export function corpusAvailable(): boolean {
  return LOCATION.directory !== undefined;
}

/** Why the corpus is unavailable, naming every path looked at. */
export function corpusMissing(): string {
  return corpusMissingMessage(LOCATION);
}

/** For a beforeAll: fail (never skip) when the corpus is missing, saying where it was looked for. */
export function requireCorpus(): void {
  if (!corpusAvailable()) throw new Error(corpusMissing());
}

export function loadCorpus(): CorpusCase[] {
  const expected = JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as { cases: CorpusCase[] };
  return expected.cases.map((c) => ({ ...c, orig: join(CORPUS_DIR, c.orig), patched: join(CORPUS_DIR, c.patched) }));
}

export function entrySizesFor(c: CorpusCase): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const [key, size] of Object.entries(c.specialEntrySizes)) {
    const section = REFERENCE_SIZE_NAMES[key];
    if (!section) throw new Error(`corpus case ${c.name}: unknown entry size ${key}`);
    sizes.set(section, size);
  }
  return sizes;
}
