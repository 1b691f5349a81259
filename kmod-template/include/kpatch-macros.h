/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch's marker macro names, for patches written for kpatch-build. They emit the
 * `.kpatch.*` marker sections kpatch's differ reads, which tsbuild-patch's differ understands
 * too; new patches can use <linux/livepatch_helpers.h> instead.
 *
 * kpatch callbacks receive a `patch_object`; under the kernel's livepatch core that is a
 * struct klp_object.
 */
#ifndef __KPATCH_MACROS_H_
#define __KPATCH_MACROS_H_

#include <linux/compiler.h>

struct klp_object;
typedef struct klp_object patch_object;

/* Records in the layout kpatch's tools expect: the function, then the object name (filled later). */
struct kpatch_pre_patch_callback { int (*fn)(patch_object *obj); char *objname; };
struct kpatch_post_patch_callback { void (*fn)(patch_object *obj); char *objname; };
struct kpatch_pre_unpatch_callback { void (*fn)(patch_object *obj); char *objname; };
struct kpatch_post_unpatch_callback { void (*fn)(patch_object *obj); char *objname; };

#define __KPATCH_CALLBACK(hook, _fn)						\
	static struct kpatch_##hook##_callback __UNIQUE_ID(kpatch_##hook##_data) \
	__used __section(".kpatch.callbacks." #hook) = { .fn = (_fn), .objname = (char *)0 }

#define KPATCH_PRE_PATCH_CALLBACK(_fn)    __KPATCH_CALLBACK(pre_patch, _fn)
#define KPATCH_POST_PATCH_CALLBACK(_fn)   __KPATCH_CALLBACK(post_patch, _fn)
#define KPATCH_PRE_UNPATCH_CALLBACK(_fn)  __KPATCH_CALLBACK(pre_unpatch, _fn)
#define KPATCH_POST_UNPATCH_CALLBACK(_fn) __KPATCH_CALLBACK(post_unpatch, _fn)

#define KPATCH_IGNORE_FUNCTION(fn)						\
	void *__kpatch_ignore_func_##fn __section(".kpatch.ignore.functions") = (fn)

#define KPATCH_IGNORE_SECTION(name)						\
	char *__UNIQUE_ID(kpatch_ignore_section_) __section(".kpatch.ignore.sections") = (name)

/*
 * Accepted by the compiler so kpatch patches build, but tsbuild-patch refuses the patch: kpatch
 * uses it to skip the load-time check that no task runs the function, and the kernel's
 * livepatch core has no per-function way to do that.
 */
#define KPATCH_FORCE_UNSAFE(fn)							\
	void *__kpatch_force_func_##fn __section(".kpatch.force") = (fn)

#endif /* __KPATCH_MACROS_H_ */
