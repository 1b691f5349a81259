/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Markers for livepatch sources built with tsbuild-patch.
 *
 * A patch adds code to kernel sources; these macros let that code tell the differ what else
 * to do. Each marker is a small pointer-sized record in a section of its own (the
 * `.livepatch_helpers.*` sections); the differ reads them and never ships them as patch code.
 *
 *   KLP_PRE_PATCH_CALLBACK(fn)     int  fn(struct klp_object *obj): before patching; nonzero refuses
 *   KLP_POST_PATCH_CALLBACK(fn)    void fn(struct klp_object *obj): after patching
 *   KLP_PRE_UNPATCH_CALLBACK(fn)   void fn(struct klp_object *obj): before unpatching
 *   KLP_POST_UNPATCH_CALLBACK(fn)  void fn(struct klp_object *obj): after unpatching
 *   KLP_IGNORE_FUNCTION(fn)        changes to fn are not part of the patch
 *   KLP_IGNORE_SECTION("name")     changes to section "name" are not part of the patch
 *
 * Callbacks run for the object (vmlinux or module) the source file belongs to. The callback
 * functions themselves become part of the patch.
 */
#ifndef _LINUX_LIVEPATCH_HELPERS_H
#define _LINUX_LIVEPATCH_HELPERS_H

#include <linux/compiler.h>

struct klp_object;

#define __KLP_MARKER_SECTION(kind) ".livepatch_helpers." kind

/* One pointer-sized record per marker; __UNIQUE_ID keeps several markers in one file apart. */
#define __KLP_MARKER(kind, type, value)						\
	static __typeof__(type) const __UNIQUE_ID(__livepatch_helpers_) __used	\
	__section(__KLP_MARKER_SECTION(kind)) __aligned(sizeof(void *)) = value

#define KLP_PRE_PATCH_CALLBACK(fn)						\
	__KLP_MARKER("callbacks.pre_patch", int (*)(struct klp_object *), fn)
#define KLP_POST_PATCH_CALLBACK(fn)						\
	__KLP_MARKER("callbacks.post_patch", void (*)(struct klp_object *), fn)
#define KLP_PRE_UNPATCH_CALLBACK(fn)						\
	__KLP_MARKER("callbacks.pre_unpatch", void (*)(struct klp_object *), fn)
#define KLP_POST_UNPATCH_CALLBACK(fn)						\
	__KLP_MARKER("callbacks.post_unpatch", void (*)(struct klp_object *), fn)

#define KLP_IGNORE_FUNCTION(fn)							\
	__KLP_MARKER("ignore.functions", const void *, (const void *)&(fn))
#define KLP_IGNORE_SECTION(name)						\
	__KLP_MARKER("ignore.sections", const char *, name)

#endif /* _LINUX_LIVEPATCH_HELPERS_H */
