/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Assertions that state an invariant the code relies on.
 *
 * BS_ASSERT(cond)      always on, in every build: for cheap checks off the
 *                      per-packet path (init, reload, control's loops).  A
 *                      failure prints file:line and the condition to stderr
 *                      and aborts: a broken invariant is a bug, and a core
 *                      dump is worth more than running on corrupted state.
 * BS_ASSERT_HOT(cond)  the per-packet path: compiled in only with
 *                      `meson -Dstrict=true` (BS_STRICT), like HAProxy's
 *                      BUG_ON_HOT or DPDK's RTE_ETHDEV_DEBUG_RX.  In other
 *                      builds the condition is not evaluated (it must have
 *                      no side effects) but still type-checked.
 * NDEBUG does not touch either: they are not assert(3).
 */
#ifndef BS_UTIL_ASSERT_H
#define BS_UTIL_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn, cold)) static inline void
bs_assert_fail(const char *file, int line, const char *func, const char *cond)
{
	fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", file, line, func, cond);
	fflush(stderr);
	abort();
}

#define BS_ASSERT(cond)                                                        \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			bs_assert_fail(__FILE__, __LINE__, __func__, #cond);   \
	} while (0)

#ifdef BS_STRICT
#define BS_ASSERT_HOT(cond) BS_ASSERT(cond)
#else
#define BS_ASSERT_HOT(cond) ((void)sizeof(!(cond)))
#endif

#endif
