// The corpus manifest: one entry per per-file patch.
import { readFile } from 'node:fs/promises';
import type { ChangeClass } from './analyze.js';
import { manifestPath } from './paths.js';

export interface CorpusEntry {
  /** Stable id: the file path with '/' as '__'. */
  id: string;
  file: string;
  /** The patch, relative to the corpus directory. */
  patch: string;
  /** 'vmlinux', a module name, or for a header the targets of the built objects including it. */
  target: string;
  /** For a module target: the .ko path in the image, relative to the modules directory. */
  ko?: string;
  class: ChangeClass;
  functions: string[];
  newFunctions: string[];
  initFunctions: string[];
  topLevel: string[];
  commentsOnly: boolean;
  added: number;
  removed: number;
  /** Headers: how many built objects (of the include graph's candidates) may include it. */
  includers?: number;
}

export interface Manifest {
  oldVersion: string;
  newVersion: string;
  release: string;
  generated: string;
  counts: Record<string, number>;
  excluded: Array<{ file: string; why: string }>;
  entries: CorpusEntry[];
}

export async function readManifest(path = manifestPath()): Promise<Manifest> {
  return JSON.parse(await readFile(path, 'utf8')) as Manifest;
}
