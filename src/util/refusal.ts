/**
 * Why the tool refuses a patch or a kernel, by rule. Every refusal is made with its category
 * where the rule is applied (the differ, the path and config policies, the module checks), so a
 * batch of patches can be counted by why they were refused (`--json`: `category` per reason).
 * The table says what each category means; the README lists the same names.
 */
export const REFUSAL_CATEGORIES = {
  'path-policy':
    'the patch changes a file no livepatch can change (assembly, lib/, the vDSO, boot code, build files, a file no object is built from)',
  'init-code': 'boot-time __init/__exit code changed',
  'no-ftrace-entry': 'a changed function has no ftrace entry for the livepatch core to redirect',
  'data-size-changed': 'a variable changed size',
  'struct-layout-changed':
    'the patch changes the layout of a struct or union its changed functions use (size, a member added, moved or retyped): existing kernel data keeps the old layout',
  'existing-data':
    'existing data (a variable, a table) changed or moved section: a livepatch replaces functions, not data in place',
  'static-call-module-key': 'patched code uses a static call whose key the patched module owns',
  'static-key-in-module': 'patched code uses a jump label whose static key the patched module owns',
  'symbol-changed': 'a symbol changed its type or binding, or became defined or undefined in the object',
  'shared-text-section': 'a changed function shares its text section with others (a section attribute such as __sched)',
  'section-group': 'a changed section is part of a section group (COMDAT), or a new group appeared',
  'section-not-selected': 'a changed section is in no function or data the patch can carry',
  'section-header-changed': "a section's type, flags, entry size or alignment changed",
  'elf-header-changed': 'the ELF headers of the original and the patched object differ',
  'static-local': 'a static local variable cannot be paired with its copy in the original',
  'kpatch-marker': "a kpatch marker the kernel's livepatch core cannot honour (KPATCH_FORCE_UNSAFE)",
  callbacks: 'more than one callback for one hook of one patched object',
  'unexported-symbol':
    'the patch (or the module built from it) uses a symbol the running kernel neither has nor exports',
  'ambiguous-symbol':
    'the patch refers to a static symbol the running kernel has several of, and which one cannot be told',
  'modversions-crc': "an imported symbol's CRC differs from the running kernel's Module.symvers",
  vermagic: "the module's vermagic differs from the running kernel's",
  'sealed-endbr':
    'the module takes the address of a kernel function whose ENDBR an IBT kernel seals at boot (or module load), so an indirect call to it faults',
  'missing-endbr':
    'the module takes the address of a kernel function that has no ENDBR (its address is never taken in the kernel), so an indirect call to it faults on an IBT kernel',
  'builtin-module-name':
    "the module's name is one the kernel already has for built-in code (modules.builtin, a built-in parameter's prefix): the load fails",
  'config-livepatch-missing': 'the kernel is built without CONFIG_LIVEPATCH',
  'config-randstruct': 'the kernel is built with structure layout randomization (RANDSTRUCT)',
  'config-latent-entropy': 'the kernel is built with the latent_entropy gcc plugin',
  'config-debug-info-split': 'the kernel is built with CONFIG_DEBUG_INFO_SPLIT',
  'config-lto': 'the kernel is built with link-time optimization (LTO)',
  'config-gc-sections': 'the kernel is linked with --gc-sections (LD_DEAD_CODE_DATA_ELIMINATION)',
} as const satisfies Record<string, string>;

export type RefusalCategory = keyof typeof REFUSAL_CATEGORIES;

/** One reason to refuse, with the rule it comes from. */
export interface Refusal {
  category: RefusalCategory;
  reason: string;
}

/** A refusal as reports carry it: with the object it concerns ('' when it concerns no one object). */
export interface ObjectRefusal extends Refusal {
  object: string;
}
