/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The one set of clock helpers (every file had its own copy).  Header-only:
 * static inline, no library, usable from the engines, both processes, the
 * tools and the tests.  clock_gettime on these clocks is a vDSO call, not a
 * syscall.  CLOCK_MONOTONIC for intervals and deadlines, CLOCK_REALTIME only
 * for what is shown to a person or stored across restarts.
 */
#ifndef BS_UTIL_TIME_H
#define BS_UTIL_TIME_H

#include <stdint.h>
#include <time.h>

#define BS_NS_PER_S  1000000000ull
#define BS_NS_PER_MS 1000000ull
#define BS_NS_PER_US 1000ull

/* Nanoseconds on clock clk (0 if the clock is unavailable). */
static inline uint64_t
bs_clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * BS_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bs_mono_ns(void) { return bs_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t bs_mono_us(void) { return bs_mono_ns() / BS_NS_PER_US; }
static inline uint64_t bs_mono_ms(void) { return bs_mono_ns() / BS_NS_PER_MS; }
static inline uint64_t bs_real_ns(void) { return bs_clock_ns(CLOCK_REALTIME); }
static inline uint64_t bs_real_us(void) { return bs_real_ns() / BS_NS_PER_US; }
static inline uint64_t bs_real_ms(void) { return bs_real_ns() / BS_NS_PER_MS; }
/* Seconds since the epoch, for timestamps shown or journaled. */
static inline uint64_t bs_real_s(void) { return bs_real_ns() / BS_NS_PER_S; }
/* Seconds as a double, for rates and durations printed to a person. */
static inline double bs_mono_sec(void) { return (double)bs_mono_ns() / 1e9; }

/* A timespec `ms` milliseconds from now on clk (for timed waits). */
static inline struct timespec
bs_deadline_ts(clockid_t clk, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)((ms % 1000) * BS_NS_PER_MS);
	if (ts.tv_nsec >= (long)BS_NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= (long)BS_NS_PER_S;
	}
	return ts;
}

#endif
