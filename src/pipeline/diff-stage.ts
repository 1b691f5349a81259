/**
 * The diff stage: each changed object against its original, in parallel, with the special
 * sections' entry sizes measured in the running kernel; then the verdict: a refusal's reasons, or
 * no functional change, end the run.
 */
import PQueue from 'p-queue';
import { diffObjects, type DiffResult } from '../diff/diff-objects.js';
import { entrySizesFromFacts, type EntrySizeInput } from '../diff/resolved-entry-sizes.js';
import type { ObjectPair } from '../kbuild/patched-build.js';
import type { KernelEntrySizes } from '../kernel/facts/measured-entry-sizes.js';
import { KernelModules } from '../kernel/kernel-modules.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { RefusedError, UserError } from '../util/errors.js';
import { exitCodeOf } from '../util/outcomes.js';

export interface ObjectDiff {
  pair: ObjectPair;
  /** The ELF whose symbols the object's code targets (vmlinux or the module's .ko, a .ko.xz decompressed). */
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
  const diffs = await Promise.all(
    options.pairs.map((pair) =>
      queue.add(async () => {
        const parent = await options.parentOf(pair);
        const result = diffObjects({
          original: pair.original,
          patched: pair.patched,
          parent,
          entrySizes: options.entrySizes,
          // The patched build kept every unchanged line's number (#line directives,
          // patches/line-keeping.ts): a changed line number is a change, never guessed at.
          lineNumbers: 'kept',
        });
        return { pair, parent, result };
      }),
    ),
  );
  return diffs;
}

/**
 * The ELF each object's code targets: the running kernel's vmlinux, or the .ko of the module of
 * its modules directory that the object is part of (each module read once; a .ko.xz is given as
 * its decompressed copy, a plain `<module>.ko` every reader of the parent can read).
 */
export function parentsIn(target: Pick<TargetKernel, 'vmlinux' | 'modulesDir'>): (pair: ObjectPair) => Promise<string> {
  const parents = new Map<string, Promise<string>>();
  let modules: Promise<KernelModules> | undefined;
  return (pair) => {
    const t = pair.object.target;
    if (t === 'vmlinux') return Promise.resolve(target.vmlinux);
    if (!target.modulesDir) {
      return Promise.reject(
        new UserError(`the patch changes module ${t}, and no modules directory says where its .ko is`, {
          hint: "give the running kernel's modules with --modules-dir",
        }),
      );
    }
    modules ??= KernelModules.read(target.modulesDir);
    if (!parents.has(t))
      parents.set(
        t,
        modules.then((m) => m.elfPath(t)),
      );
    return parents.get(t)!;
  };
}

export interface DiffStageInput {
  pairs: readonly ObjectPair[];
  target: Pick<TargetKernel, 'vmlinux' | 'modulesDir'>;
  /** The running kernel's special-section entry sizes (measured while the objects were built). */
  kernelFacts: Promise<KernelEntrySizes>;
  concurrency: number;
}

export async function diffStage(input: DiffStageInput): Promise<ObjectDiff[]> {
  const entrySizes = entrySizesFromFacts(await input.kernelFacts);
  return diffAll({ pairs: input.pairs, parentOf: parentsIn(input.target), entrySizes, concurrency: input.concurrency });
}

/** The diffs' verdict: refused (every reason with its object and category), or no functional change; else nothing. */
export function requireLivepatchableChange(diffs: readonly ObjectDiff[]): void {
  const refused = diffs.filter((d) => d.result.outcome === 'refused');
  if (refused.length > 0) {
    const reasons = refused.flatMap((d) => d.result.refusals.map((r) => ({ object: d.pair.object.path, ...r })));
    throw new RefusedError(
      `the patch cannot be live-patched safely:\n  ${reasons.map((r) => `${r.object}: ${r.reason}`).join('\n  ')}`,
      reasons,
    );
  }
  if (diffs.every((d) => d.result.outcome === 'no-change')) {
    // What changed besides code, if anything (a new export, which a livepatch cannot add).
    const notes = diffs.flatMap((d) => d.result.notes.map((note) => `\n  ${d.pair.object.path}: ${note}`)).join('');
    throw new UserError(
      `no functional change in ${diffs.map((d) => d.pair.object.path).join(', ')} (only moved lines, comments or line numbers?)${notes}`,
      { exitCode: exitCodeOf('no-change') },
    );
  }
}
