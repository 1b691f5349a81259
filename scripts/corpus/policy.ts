// What the corpus leaves out by policy: what a livepatch cannot change (the tool's own rules,
// src/patches/patch-policy.ts, plus the EFI stub) and what Debian's amd64 kernel never builds.
export function excludedByPolicy(path: string): string | undefined {
  if (path.endsWith('.S')) return 'assembly';
  if (path.startsWith('lib/')) return 'lib/';
  if (/(^|\/)vdso(\d*)?\//.test(path) || /(^|\/)vdso[^/]*\.[ch]$/.test(path)) return 'vDSO';
  if (path.startsWith('arch/x86/realmode/')) return 'real-mode';
  if (path.startsWith('arch/x86/boot/')) return 'boot';
  if (path.startsWith('drivers/firmware/efi/libstub/')) return 'EFI stub';
  if (path.startsWith('arch/') && !path.startsWith('arch/x86/')) return 'other architecture';
  if (/^(tools|scripts|samples|Documentation|usr)\//.test(path)) return 'not kernel code';
  return undefined;
}
