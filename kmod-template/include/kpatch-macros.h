/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The author macros of kpatch's kpatch-macros.h, for patches written for kpatch-build.
 * New patches can use <linux/livepatch_helpers.h> instead; both are understood.
 *
 *   KPATCH_PRE_PATCH_CALLBACK(fn)    int  fn(patch_object *obj): before patching; nonzero refuses
 *   KPATCH_POST_PATCH_CALLBACK(fn)   void fn(patch_object *obj): after patching
 *   KPATCH_PRE_UNPATCH_CALLBACK(fn)  void fn(patch_object *obj): before unpatching
 *   KPATCH_POST_UNPATCH_CALLBACK(fn) void fn(patch_object *obj): after unpatching
 *   KPATCH_IGNORE_FUNCTION(fn)       changes to fn are left out of the patch
 *   KPATCH_IGNORE_SECTION("name")    changes to section "name" are left out of the patch
 *   KPATCH_PRINTK(fmt, ...)          printk that does not make the code around it cold
 *   KPATCH_PRINTK_DEFERRED(fmt, ...) the same for printk_deferred
 *   KPATCH_STATIC_CALL(name)         static_call(name) as a plain indirect call
 *   KPATCH_FORCE_UNSAFE(fn)          compiles, but tsbuild-patch refuses the patch (see below)
 *   KPATCH_SYSCALL_DEFINE1..6        from "kpatch-syscall.h", included below
 *
 * Shadow variables are the kernel's klp_shadow_*() API, as kpatch's patch author guide
 * documents; <linux/livepatch.h> is included here, so a patch using this header has it.
 *
 * The markers are records in `.kpatch.*` sections, read by the differ (src/diff/marker-actions.ts)
 * and never shipped. Like kpatch's, every file-scope macro ends its own declaration, so it
 * may be written with or without a trailing semicolon.
 */
#ifndef __KPATCH_MACROS_H_
#define __KPATCH_MACROS_H_

#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/livepatch.h>
#include <linux/static_call_types.h>
/* Not needed here; kpatch's header includes them, and patches may rely on that. */
#include <linux/jiffies.h>
#include <linux/version.h>

/* kpatch callbacks receive a patch_object; under the kernel's livepatch core, a klp_object. */
typedef struct klp_object patch_object;
/* kpatch's header says so when the callbacks are the livepatch core's: always, here. */
#define HAS_LIVEPATCH_CALLBACKS

typedef int (*kpatch_pre_patch_call_t)(patch_object *obj);
typedef void (*kpatch_post_patch_call_t)(patch_object *obj);
typedef void (*kpatch_pre_unpatch_call_t)(patch_object *obj);
typedef void (*kpatch_post_unpatch_call_t)(patch_object *obj);

/*
 * Callback records: the function, then an object name that kpatch's tools fill in later (the
 * differ here knows the object from the file and leaves it NULL). A callback of the wrong
 * type is a compile error (-Werror=incompatible-pointer-types in kernel builds).
 */
struct kpatch_pre_patch_callback { kpatch_pre_patch_call_t fn; char *objname; };
struct kpatch_post_patch_callback { kpatch_post_patch_call_t fn; char *objname; };
struct kpatch_pre_unpatch_callback { kpatch_pre_unpatch_call_t fn; char *objname; };
struct kpatch_post_unpatch_callback { kpatch_post_unpatch_call_t fn; char *objname; };

#define __KPATCH_CALLBACK(hook, _fn)						\
	static struct kpatch_##hook##_callback __UNIQUE_ID(kpatch_##hook##_data) \
	__used __section(".kpatch.callbacks." #hook) = { .fn = (_fn), .objname = (char *)0 };

#define KPATCH_PRE_PATCH_CALLBACK(_fn)    __KPATCH_CALLBACK(pre_patch, _fn)
#define KPATCH_POST_PATCH_CALLBACK(_fn)   __KPATCH_CALLBACK(post_patch, _fn)
#define KPATCH_PRE_UNPATCH_CALLBACK(_fn)  __KPATCH_CALLBACK(pre_unpatch, _fn)
#define KPATCH_POST_UNPATCH_CALLBACK(_fn) __KPATCH_CALLBACK(post_unpatch, _fn)

/* A pointer to the function, so a misspelt or missing name fails to compile. */
#define KPATCH_IGNORE_FUNCTION(_fn)						\
	void *__kpatch_ignore_func_##_fn __section(".kpatch.ignore.functions") = (_fn);

/* A pointer to the section's name; the differ checks that the object has that section. */
#define KPATCH_IGNORE_SECTION(_name)						\
	char *__UNIQUE_ID(kpatch_ignore_section_) __section(".kpatch.ignore.sections") = (_name);

/*
 * Accepted by the compiler so kpatch patches build, but tsbuild-patch refuses the patch: kpatch
 * uses it to skip the load-time check that no task runs the function, and the kernel's
 * livepatch core has no per-function way to do that.
 */
#define KPATCH_FORCE_UNSAFE(_fn)						\
	void *__kpatch_force_func_##_fn __section(".kpatch.force") = (_fn);

/*
 * printk() is __cold, and gcc spreads that to the code path that calls it: a function that
 * gains a printk in its main path can have neighbouring code moved to .text.unlikely or
 * un-inlined, which shows up as unrelated changed functions. Putting the call behind a
 * condition gcc cannot evaluate (a value passed through an empty asm; always true at run
 * time, and no memory access) keeps the coldness inside the branch.
 */
#define __KPATCH_OPAQUE_CALL(_call)						\
({										\
	int __kpatch_go = 1;							\
	asm volatile("" : "+r" (__kpatch_go));					\
	if (__kpatch_go)							\
		_call;								\
})

#define KPATCH_PRINTK(_fmt, ...)						\
	__KPATCH_OPAQUE_CALL(printk(_fmt, ##__VA_ARGS__))
#define KPATCH_PRINTK_DEFERRED(_fmt, ...)					\
	__KPATCH_OPAQUE_CALL(printk_deferred(_fmt, ##__VA_ARGS__))

/*
 * static_call(name) as an ordinary indirect call through the key's current target, for
 * patched code whose static call key lives in a module (a livepatch cannot carry a
 * .static_call_sites entry for it). Use as KPATCH_STATIC_CALL(name)(args...).
 */
#define KPATCH_STATIC_CALL(name)						\
	((__typeof__(STATIC_CALL_TRAMP(name)) *)READ_ONCE(STATIC_CALL_KEY(name).func))

#endif /* __KPATCH_MACROS_H_ */

/* kpatch's header offers the syscall macros too; outside the guard, as that file includes this one. */
#include "kpatch-syscall.h"
