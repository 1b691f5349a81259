import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import type { PatchFile } from './patch-file.js';

const PATCH_ARGS = ['-p1', '--forward', '--batch', '--no-backup-if-mismatch', '--reject-file=-'];

export interface ApplyOutcome {
  /** Lines of patch(1) worth telling the user (offsets, fuzz). */
  warnings: string[];
}

/** Check that a patch applies to DIR (dry run), then apply it. Fails naming the patch and the hunk. */
export async function applyPatch(dir: string, patch: PatchFile): Promise<ApplyOutcome> {
  const dry = await execa('patch', [...PATCH_ARGS, '--dry-run', '-d', dir], {
    input: patch.text,
    reject: false,
    all: true,
  });
  if (dry.failed) {
    throw new UserError(`${patch.path} does not apply to the kernel source:\n${String(dry.all).trim()}`, {
      hint: 'make the patch against the same kernel version (patch -p1 from the top of the tree)',
    });
  }
  const real = await execa('patch', [...PATCH_ARGS, '-d', dir], { input: patch.text, reject: false, all: true });
  if (real.failed)
    throw new UserError(`${patch.path}: patch failed after a successful dry run:\n${String(real.all).trim()}`);
  const warnings = String(real.all)
    .split('\n')
    .filter((line) => /offset|fuzz/i.test(line))
    .map((line) => `${patch.path}: ${line.trim()}`);
  return { warnings };
}
