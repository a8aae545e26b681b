/* SPDX-License-Identifier: BSD-3-Clause
 * The storm statistics (control/daemon/storm.h): the rules summary, watch
 * and the web page used to apply each on their own, now one pure
 * computation.  Each case states the arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "control/daemon/storm.h"

static void
test_empty(void **state)
{
	struct storm_nodes s;

	(void)state;
	storm_nodes_init(&s, NULL, 0);
	storm_nodes_finish(&s);
	assert_int_equal(s.total, 0);
	assert_int_equal(s.first_ms, 0);
	assert_int_equal(storm_clock_ms(&s, 5000), 0);	/* no node seen: no clock */
	assert_int_equal(storm_quantile(&s, 0.5), 0);
	assert_int_equal(s.nt, 0);
}

/* Inventory a..d and one unknown client: a never shows up, b done (1000 ->
 * 4000), c tftp-done (2000 -> 3000), d failed at 9000, the unknown client
 * still in TFTP. */
static void
test_classes(void **state)
{
	uint64_t t[8];
	struct storm_nodes s;

	(void)state;
	storm_nodes_init(&s, t, 8);
	storm_nodes_add(&s, "a", true, BOOT_STAGE_NONE, 0, 0);
	storm_nodes_add(&s, "b", true, BOOT_STAGE_DONE, 1000, 4000);
	storm_nodes_add(&s, "c", true, BOOT_STAGE_TFTP_DONE, 2000, 3000);
	storm_nodes_add(&s, "d", true, BOOT_STAGE_FAILED, 1500, 9000);
	storm_nodes_add(&s, "52:54:00:00:00:09", false, BOOT_STAGE_TFTP_PROGRESS, 500, 600);
	storm_nodes_finish(&s);
	assert_int_equal(s.total, 5);
	assert_int_equal(s.inventory, 4);
	assert_int_equal(s.seen, 4);		/* all but a */
	assert_int_equal(s.unknown, 1);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.tftp_done, 1);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.unfinished, 1);
	assert_int_equal(s.first_ms, 500);	/* the unknown client came first */
	assert_int_equal(s.last_booted_ms, 4000);
	assert_int_equal(s.last_final_ms, 9000);	/* d's failure */
	/* one node unfinished: the clock runs to now */
	assert_int_equal(storm_clock_ms(&s, 20000), 20000 - 500);
	/* per node: c 1000, b 3000 */
	assert_int_equal(s.nt, 2);
	assert_int_equal(storm_quantile(&s, 0.5), 1000);	/* t[(2-1)/2] = t[0] */
	assert_int_equal(storm_quantile(&s, 0.9), 1000);	/* t[(size_t)0.9] = t[0] */
	assert_int_equal(s.times[s.nt - 1], 3000);
	assert_string_equal(s.slowest, "b");
	assert_int_equal(s.done_names.n, 1);
	assert_string_equal(s.done_names.v[0], "b");
	assert_string_equal(s.failed_names.v[0], "d");
	assert_string_equal(s.unfinished_names.v[0], "52:54:00:00:00:09");
}

/* Nothing unfinished: the clock stops at the last node that finished,
 * booted or failed (watch's rule); elapsed ends at the last booted one
 * (summary's rule). */
static void
test_clock_stops(void **state)
{
	uint64_t t[4];
	struct storm_nodes s;

	(void)state;
	storm_nodes_init(&s, t, 4);
	storm_nodes_add(&s, "x", true, BOOT_STAGE_TFTP_DONE, 1000, 5000);
	storm_nodes_add(&s, "y", true, BOOT_STAGE_TFTP_FAILED, 1200, 7000);
	storm_nodes_finish(&s);
	assert_int_equal(storm_clock_ms(&s, 99999), 7000 - 1000);
	assert_int_equal(s.last_booted_ms - s.first_ms, 5000 - 1000);
}

/* p50 = t[(n-1)/2], p90 = t[(size_t)((n-1)*0.9)], max = t[n-1], over the
 * sorted times; n = 10 times 100..1000 added in reverse: p50 = t[4] = 500,
 * p90 = t[8] = 900 ((10-1)*0.9 = 8.1), max 1000.  A first sighting of 0
 * (unknown) or a stage time before it gives no time; the slowest is the
 * first of the longest. */
static void
test_quantiles(void **state)
{
	uint64_t t[16];
	struct storm_nodes s;
	char name[8];

	(void)state;
	storm_nodes_init(&s, t, 16);
	for (int i = 10; i >= 1; i--) {
		snprintf(name, sizeof(name), "n%d", i);
		storm_nodes_add(&s, name, true, BOOT_STAGE_TFTP_DONE, 1000, 1000 + (uint64_t)i * 100);
	}
	storm_nodes_add(&s, "late", true, BOOT_STAGE_TFTP_DONE, 1000, 2000);	/* ties n10 */
	storm_nodes_add(&s, "nofs", true, BOOT_STAGE_TFTP_DONE, 0, 3000);
	storm_nodes_add(&s, "back", true, BOOT_STAGE_DONE, 5000, 4000);
	storm_nodes_finish(&s);
	assert_int_equal(s.nt, 11);
	assert_int_equal(s.tftp_done + s.done, 13);
	assert_int_equal(storm_quantile(&s, 0.5), 600);	/* 11 times: t[5] */
	assert_int_equal(storm_quantile(&s, 0.9), 1000);	/* t[9] */
	assert_int_equal(s.times[s.nt - 1], 1000);
	assert_string_equal(s.slowest, "n10");
	assert_int_equal(s.last_booted_ms, 4000);
}

/* Names: STORM_NAMES listed, n-1, n, n+1 nodes; the class count keeps
 * counting past the list. */
static void
test_names_cap(void **state)
{
	struct storm_nodes s;
	char name[8];

	(void)state;
	for (int n = STORM_NAMES - 1; n <= STORM_NAMES + 1; n++) {
		storm_nodes_init(&s, NULL, 0);
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "f%d", i);
			storm_nodes_add(&s, name, true, BOOT_STAGE_FAILED, 10, 20);
		}
		assert_int_equal(s.failed, (uint64_t)n);
		assert_int_equal(s.failed_names.n, n < STORM_NAMES ? (unsigned)n : STORM_NAMES);
		assert_string_equal(s.failed_names.v[0], "f0");
		assert_int_equal(s.nt, 0);	/* no room given: counted, no times */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_clock_stops),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_names_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
