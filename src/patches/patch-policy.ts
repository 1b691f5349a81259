import { RefusedError } from '../util/errors.js';
import type { ObjectRefusal } from '../util/refusal.js';
import type { PatchFile } from './patch-file.js';

/**
 * Paths a livepatch cannot change, checked before anything is built. Each rule says why, so
 * the refusal can name the file and the reason.
 */
interface PathRule {
  test: (path: string) => boolean;
  reason: string;
}

const RULES: readonly PathRule[] = [
  { test: (p) => /\.S$/.test(p), reason: 'assembly code is not built with ftrace entries and cannot be live-patched' },
  {
    test: (p) => p.startsWith('lib/'),
    reason: 'lib/ code is linked into vmlinux from archives and used before livepatch can act; it is not supported',
  },
  {
    test: (p) => /(^|\/)vdso(\d*)?\//.test(p) || /(^|\/)vdso[^/]*\.[ch]$/.test(p),
    reason: 'the vDSO runs in user space; it cannot be live-patched',
  },
  {
    test: (p) => p.startsWith('arch/x86/realmode/'),
    reason: 'real-mode code runs before the kernel proper; it cannot be live-patched',
  },
  { test: (p) => p.startsWith('arch/x86/boot/'), reason: 'boot code runs only at boot; it cannot be live-patched' },
  {
    test: (p) => /(^|\/)(Makefile|Kbuild|Kconfig)(\.[\w-]+)?$/.test(p),
    reason: 'build configuration changes cannot be live-patched',
  },
];

/** Refuse patches that touch paths no livepatch can change; lists every offending file. */
export function checkPatchPaths(patches: readonly PatchFile[]): void {
  const problems: ObjectRefusal[] = [];
  for (const patch of patches) {
    for (const file of patch.files) {
      for (const rule of RULES) {
        if (rule.test(file.path))
          problems.push({ object: '', reason: `${patch.path}: ${file.path}: ${rule.reason}`, category: 'path-policy' });
      }
    }
  }
  if (problems.length > 0) {
    throw new RefusedError(
      `the patch changes what a livepatch cannot:\n  ${problems.map((p) => p.reason).join('\n  ')}`,
      problems,
    );
  }
}
