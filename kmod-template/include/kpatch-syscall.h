/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch's KPATCH_SYSCALL_DEFINE1..6, for patches that change a system call on x86_64.
 * Replace SYSCALL_DEFINE<n>(name, ...) by KPATCH_SYSCALL_DEFINE<n>(name, ...) in the patch;
 * the arguments are the same.
 *
 * Why it is needed: SYSCALL_DEFINE<n> puts the body in `static inline long __do_sys_<name>()`,
 * reached through __x64_sys_<name>() (and __ia32_sys_<name>() with IA32_EMULATION) via
 * __se_sys_<name>(). The kernel's `inline` implies notrace, so when gcc keeps __do_sys_<name>
 * out of line (it does for newuname in Linux 6.1) the function has no __fentry__ call and
 * the livepatch core cannot redirect it: a changed body is refused.
 *
 * What it does: the same wrappers as the kernel's x86_64 __SYSCALL_DEFINEx, with the body
 * renamed to __kpatch_do_sys_<name>(). The differ then sees a new function (a new function
 * needs no ftrace entry: only patched code calls it) and a changed __x64_sys_<name>(), which
 * starts with an __fentry__ call; the livepatch replaces that entry point (and __se_sys_<name>
 * or __ia32_sys_<name> when they exist and changed), so every call of the system call runs
 * the old body or the new one, never a mix. The running kernel's __do_sys_<name>() stays,
 * unused while the patch is enabled.
 *
 * The tracing metadata (SYSCALL_METADATA, with CONFIG_FTRACE_SYSCALLS) is expanded exactly
 * as SYSCALL_DEFINE<n> expands it, so that data is identical to the original object's and
 * nothing new is registered. (kpatch replaces it by dummies in ignored sections instead.)
 *
 * The expansion uses the kernel's own helpers (__MAP, __SC_*, __X64_SYS_STUBx, ...) from
 * <linux/syscalls.h>, which a file defining system calls includes already.
 */
#ifndef __KPATCH_SYSCALL_H_
#define __KPATCH_SYSCALL_H_

#include "kpatch-macros.h"

#define KPATCH_SYSCALL_DEFINE1(name, ...) KPATCH_SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE2(name, ...) KPATCH_SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE3(name, ...) KPATCH_SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE4(name, ...) KPATCH_SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE5(name, ...) KPATCH_SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE6(name, ...) KPATCH_SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

#ifdef CONFIG_X86_64

#define KPATCH_SYSCALL_DEFINEx(x, sname, ...)					\
	SYSCALL_METADATA(sname, x, __VA_ARGS__)					\
	__KPATCH_SYSCALL_DEFINEx(x, sname, __VA_ARGS__)

/* arch/x86/include/asm/syscall_wrapper.h's __SYSCALL_DEFINEx (Linux 5.7 and later), body renamed. */
#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__));		\
	static inline long __kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__)); \
	__X64_SYS_STUBx(x, name, __VA_ARGS__)					\
	__IA32_SYS_STUBx(x, name, __VA_ARGS__)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__))		\
	{									\
		long ret = __kpatch_do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__)); \
										\
		__MAP(x, __SC_TEST, __VA_ARGS__);				\
		__PROTECT(x, ret, __MAP(x, __SC_ARGS, __VA_ARGS__));		\
		return ret;							\
	}									\
	static inline long __kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))

#else /* !CONFIG_X86_64 */

/* An error where the macro is used, not where the header is included (kpatch-macros.h includes it). */
#define KPATCH_SYSCALL_DEFINEx(x, sname, ...)					\
	_Static_assert(0, "KPATCH_SYSCALL_DEFINE* is implemented for x86_64 only");	\
	static inline long __kpatch_do_sys##sname(__MAP(x, __SC_DECL, __VA_ARGS__))

#endif /* CONFIG_X86_64 */

#endif /* __KPATCH_SYSCALL_H_ */
