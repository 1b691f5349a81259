/**
 * The peer corpus (kpatch unit-test objects, see /work/shared/kpatch-unit-objs/README.md):
 * where it is, how to read its expectations, and how its entry-size names map to ours.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS_DIR = resolve(process.env.KPATCH_UNIT_OBJS ?? '/work/shared/kpatch-unit-objs/x86_64');

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
  return existsSync(join(CORPUS_DIR, 'expected.json'));
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
