import PQueue from 'p-queue';
import { diffObjects, type DiffResult } from '../diff/diff-objects.js';
import type { ObjectPair } from '../kbuild/patched-build.js';
import type { EntrySizeInput } from '../diff/entry-sizes.js';

export interface ObjectDiff {
  pair: ObjectPair;
  /** The ELF whose symbols the object's code targets (vmlinux or the module's .ko). */
  parent: string;
  result: DiffResult;
}

export interface DiffStageOptions {
  pairs: readonly ObjectPair[];
  parentOf: (pair: ObjectPair) => Promise<string>;
  entrySizes: ReadonlyMap<string, EntrySizeInput>;
  concurrency: number;
}

/** Diff every changed object against its original (bounded parallelism with p-queue). */
export async function diffAll(options: DiffStageOptions): Promise<ObjectDiff[]> {
  const queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
  const diffs = await Promise.all(options.pairs.map((pair) =>
    queue.add(async () => {
      const parent = await options.parentOf(pair);
      const result = diffObjects({ original: pair.original, patched: pair.patched, parent, entrySizes: options.entrySizes });
      return { pair, parent, result };
    }),
  ));
  return diffs;
}
