/**
 * Whether a kernel can apply a livepatch's relocations to a module again after that module was
 * removed and loaded anew while the livepatch stayed loaded. The kernel writes the livepatch's
 * `.klp.rela.<module>` relocations when the module comes; before it cleared them when the module
 * goes (clear_relocate_add, Linux 6.3), the second write finds the old values and fails: the
 * kernel logs "Skipping invalid relocation target, existing value is nonzero" and refuses to load
 * the module ("patch ... failed for module ..., refusing to load module"). Debian 12's 6.1 has
 * this limit, Debian 13's 6.12 does not.
 */

/** The vmlinux symbol that tells a kernel clears a livepatch's relocations on module removal. */
export const CLEARS_RELOCATIONS_SYMBOL = 'clear_relocate_add';

/**
 * The warning for a livepatch whose relocations reach into MODULES (the target modules it has
 * livepatch relocations for) on a kernel whose vmlinux lacks CLEARS_RELOCATIONS_SYMBOL (HAS tells
 * whether vmlinux defines a symbol); undefined when there is nothing to warn of.
 */
export function moduleReloadWarning(modules: readonly string[], has: (symbol: string) => boolean): string | undefined {
  if (modules.length === 0 || has(CLEARS_RELOCATIONS_SYMBOL)) return undefined;
  const names = [...new Set(modules)].sort().join(', ');
  return (
    `while this livepatch is loaded, ${names} cannot be unloaded and loaded again: this kernel (no ${CLEARS_RELOCATIONS_SYMBOL}) ` +
    `cannot apply the livepatch's relocations to a new copy of the module and refuses to load it; remove the livepatch first`
  );
}
