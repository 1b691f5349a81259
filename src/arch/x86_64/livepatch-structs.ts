/**
 * Field offsets of the kernel's livepatch structs (include/linux/livepatch.h) on x86_64, for
 * reading them back out of a built livepatch module: 8-byte pointers, fields in source order.
 */

/** struct klp_object: name (offset 0: a string, or NULL for vmlinux), funcs. */
export const KLP_OBJECT_FUNCS = 8;

/** struct klp_func: old_name (offset 0), new_func, old_sympos. */
export const KLP_FUNC_NEW_FUNC = 8;
export const KLP_FUNC_OLD_SYMPOS = 16;

/** struct klp_patch: mod, objs, states, replace. */
export const KLP_PATCH_REPLACE = 24;
