/**
 * The resolve stage: every symbol a changed object uses but does not define is reached through an
 * export of the running kernel (an ordinary relocation) or becomes a livepatch symbol
 * `.klp.sym.<object>.<name>,<sympos>`; the patch objects are written with their relocations
 * (src/pipeline/patch-objects.ts, src/emit/).
 */
import { mkdir } from 'node:fs/promises';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { readSymvers, type Exports } from '../kernel/symvers.js';
import { TargetSymbols } from '../emit/symbol-positions.js';
import { moduleReloadWarning } from '../kernel/facts/module-reload.js';
import type { ObjectDiff } from './diff-stage.js';
import { writePatchObjects, type PatchObject } from './patch-objects.js';

export interface ResolveStageOptions {
  diffs: readonly ObjectDiff[];
  target: Pick<TargetKernel, 'vmlinux' | 'symvers'>;
  /** Where the patch objects are written. */
  objectsDir: string;
}

export interface ResolvedObjects {
  /** One patch object per changed object. */
  list: PatchObject[];
  /** The running kernel's exports (Module.symvers). */
  exports: Exports;
  /** What the user should know about the resolved objects on this kernel. */
  warnings: string[];
}

export async function resolveStage(options: ResolveStageOptions): Promise<ResolvedObjects> {
  const [vmlinux, exports] = await Promise.all([
    TargetSymbols.read('vmlinux', options.target.vmlinux),
    readSymvers(options.target.symvers),
  ]);
  await mkdir(options.objectsDir, { recursive: true });
  const list = await writePatchObjects({ diffs: options.diffs, objectsDir: options.objectsDir, vmlinux, exports });
  const relocatedModules = list.flatMap((o) =>
    o.resolutions.filter((r) => r.how === 'klp' && r.object && r.object !== 'vmlinux').map((r) => r.object!),
  );
  const reload = moduleReloadWarning(relocatedModules, (symbol) => vmlinux.named(symbol).length > 0);
  return { list, exports, warnings: reload ? [reload] : [] };
}

/** The livepatch symbols of a patch object, as the run report lists them: `<object>:<name>,<sympos>`. */
export function klpSymbolsOf(object: PatchObject): string[] {
  return object.resolutions.filter((r) => r.how === 'klp').map((r) => `${r.object}:${r.symbol},${r.sympos}`);
}
