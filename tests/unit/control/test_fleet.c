/* SPDX-License-Identifier: BSD-3-Clause
 * The pure parts of fleet mode (control/fleet/fleet_pure.h): the migration
 * table's order, the journal tail walk that makes the journal the outbox
 * (durable bound, resume offset, batch cap, skip after compaction, torn
 * tail, damaged middle), the position file, array literals and lease
 * batches, and the fleet: config rows (no password in the YAML). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "control/daemon/journal.h"
#include "control/fleet/fleet_pure.h"

/* ---- migrations ---- */

static void
test_migrations_order(void **state)
{
	(void)state;
	assert_true(fleet_n_migrations >= 2);
	assert_int_equal(fleet_migrations_check(fleet_migrations, fleet_n_migrations), 0);
	struct fleet_migration gap[] = { { 1, "a", "x" }, { 3, "b", "y" } };
	assert_int_equal(fleet_migrations_check(gap, 2), 2);
	struct fleet_migration swapped[] = { { 2, "a", "x" }, { 1, "b", "y" } };
	assert_int_equal(fleet_migrations_check(swapped, 2), 1);
	struct fleet_migration nosql[] = { { 1, "a", NULL } };
	assert_int_equal(fleet_migrations_check(nosql, 1), 1);
}

/* ---- journal tail ---- */

#define NREC 5
static uint8_t img[JOURNAL_HDR_LEN + (NREC + 1) * JOURNAL_REC_LEN];

static size_t
make_image(void)
{
	journal_encode_header(img);
	for (unsigned i = 0; i < NREC; i++) {
		struct lease_event ev = { .seq = i + 1, .ip = 0x0a000064u + i, .kind = LEASE_EV_GRANT };

		ev.mac[5] = (uint8_t)i;
		journal_encode_record(&ev, img + JOURNAL_HDR_LEN + i * JOURNAL_REC_LEN);
	}
	return JOURNAL_HDR_LEN + NREC * JOURNAL_REC_LEN;
}

#define OFF(k) ((uint64_t)JOURNAL_HDR_LEN + (uint64_t)(k) * JOURNAL_REC_LEN)

static void
test_tail_durable_and_resume(void **state)
{
	struct lease_event out[8];
	uint64_t next;
	size_t size = make_image(), n;

	(void)state;
	/* seq 4 and 5 written but not synced: not acknowledged, not shipped */
	n = fleet_tail_walk(img, size, 0, 3, 0, out, 8, &next);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].seq, 1);
	assert_int_equal(out[2].seq, 3);
	assert_int_equal(out[2].ip, 0x0a000066u);
	assert_int_equal(next, OFF(3));
	/* resume where it stopped once they are durable */
	n = fleet_tail_walk(img, size, next, 5, 0, out, 8, &next);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].seq, 4);
	assert_int_equal(next, OFF(5));
	/* nothing new: same offset back */
	n = fleet_tail_walk(img, size, next, 5, 0, out, 8, &next);
	assert_int_equal(n, 0);
	assert_int_equal(next, OFF(5));
}

static void
test_tail_cap_and_skip(void **state)
{
	struct lease_event out[8];
	uint64_t next;
	size_t size = make_image(), n;

	(void)state;
	/* a batch of 2: cap n-1, n, n+1 around the record count */
	n = fleet_tail_walk(img, size, 0, 5, 0, out, 2, &next);
	assert_int_equal(n, 2);
	assert_int_equal(next, OFF(2));
	n = fleet_tail_walk(img, size, 0, 5, 0, out, 5, &next);
	assert_int_equal(n, 5);
	n = fleet_tail_walk(img, size, 0, 5, 0, out, 6, &next);
	assert_int_equal(n, 5);
	assert_int_equal(next, OFF(5));
	/* a new file (compaction): what was shipped from the old one is skipped */
	n = fleet_tail_walk(img, size, 0, 5, 3, out, 8, &next);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].seq, 4);
	assert_int_equal(next, OFF(5));
}

static void
test_tail_torn_and_damaged(void **state)
{
	struct lease_event out[8];
	uint64_t next;
	size_t size = make_image(), n;

	(void)state;
	/* a torn last record: the walk stops before it and stays there */
	n = fleet_tail_walk(img, size - 7, 0, 5, 0, out, 8, &next);
	assert_int_equal(n, 4);
	assert_int_equal(next, OFF(4));
	/* a damaged record in the middle, valid ones after it: skipped */
	img[OFF(1) + JOURNAL_FRAME_LEN + 20] ^= 0xff;
	n = fleet_tail_walk(img, size, 0, 5, 0, out, 8, &next);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].seq, 1);
	assert_int_equal(out[1].seq, 3);
	assert_int_equal(next, OFF(5));
	/* a header-only file */
	n = fleet_tail_walk(img, JOURNAL_HDR_LEN, 0, 5, 0, out, 8, &next);
	assert_int_equal(n, 0);
	assert_int_equal(next, JOURNAL_HDR_LEN);
}

static void
test_pos(void **state)
{
	struct fleet_pos p = { .ino = 1234567, .off = 16 + 109 * 7, .seq = UINT64_MAX }, q = { 0 };
	char buf[128];

	(void)state;
	assert_true(fleet_pos_format(&p, buf, sizeof(buf)) > 0);
	assert_int_equal(fleet_pos_parse(buf, &q), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	assert_int_equal(fleet_pos_parse("12 34", &q), -EINVAL);
	assert_int_equal(fleet_pos_parse("", &q), -EINVAL);
	assert_int_equal(q.ino, p.ino); /* unchanged on error */
}

/* ---- batches ---- */

static void
test_array_literal(void **state)
{
	struct fleet_arr a = { 0 }, e = { 0 };

	(void)state;
	fleet_arr_add(&a, "plain");
	fleet_arr_add(&a, "q\"uo\\te");
	fleet_arr_add(&a, NULL);
	fleet_arr_add(&a, "");
	fleet_arr_add(&a, "a,b}{");
	assert_string_equal(fleet_arr_done(&a), "{\"plain\",\"q\\\"uo\\\\te\",NULL,\"\",\"a,b}{\"}");
	assert_string_equal(fleet_arr_done(&e), "{}");
	fleet_arr_free(&a);
	fleet_arr_free(&e);
}

static void
test_lease_batch(void **state)
{
	struct fleet_lease_batch b = { 0 };
	struct lease_event ev = { .seq = 42, .expires_ms = 1700000000123ull, .ts_ms = 1700000000000ull,
				  .ip = 0x0a4d0064u, .mac = { 0x52, 0x54, 0, 0x77, 1, 0xab },
				  .kind = LEASE_EV_RENEW };
	const char *v[FL_COL_MAX];

	(void)state;
	strcpy(ev.hostname, "node\"1");
	fleet_lease_batch_add(&b, &ev);
	ev.seq = 43;
	ev.kind = LEASE_EV_RELEASE;
	ev.hostname[0] = '\0';
	fleet_lease_batch_add(&b, &ev);
	ev.seq = 44;
	memcpy(ev.hostname, "a\xff b\x01", 6); /* from a journal we did not write */
	fleet_lease_batch_add(&b, &ev);
	assert_true(fleet_lease_batch_done(&b, v));
	assert_int_equal(b.n, 3);
	assert_string_equal(v[FL_IP], "{\"10.77.0.100\",\"10.77.0.100\",\"10.77.0.100\"}");
	assert_string_equal(v[FL_MAC], "{\"52:54:00:77:01:ab\",\"52:54:00:77:01:ab\",\"52:54:00:77:01:ab\"}");
	assert_string_equal(v[FL_STATE], "{\"bound\",\"released\",\"released\"}");
	assert_string_equal(v[FL_SEQ], "{\"42\",\"43\",\"44\"}");
	assert_string_equal(v[FL_EXPIRES_MS], "{\"1700000000123\",\"1700000000123\",\"1700000000123\"}");
	assert_string_equal(v[FL_HOSTNAME], "{\"node\\\"1\",NULL,\"a??b?\"}");
	fleet_lease_batch_free(&b);
	assert_string_equal(fleet_lease_state(LEASE_EV_GRANT), "bound");
	assert_string_equal(fleet_lease_state(LEASE_EV_DECLINE), "declined");
	assert_string_equal(fleet_lease_state(LEASE_EV_EXPIRE), "expired");
	assert_string_equal(fleet_lease_state(LEASE_EV_MAX), "?");
	/* a replayed batch must not move a row back: the upsert is seq-guarded */
	assert_non_null(strstr(fleet_lease_upsert_sql, "WHERE leases.seq < excluded.seq"));
	assert_non_null(strstr(fleet_lease_upsert_sql, "DISTINCT ON (u.ip)"));
}

/* ---- config ---- */

static struct cfg *
load(const char *fleet, size_t *nerr, char *first, size_t cap)
{
	char y[1024];
	struct cfg_errs e = { 0 };
	struct cfg *c;

	snprintf(y, sizeof(y), "server: {ip: 10.1.0.1/16}\nfleet:\n%s", fleet);
	c = cfg_load_mem("/nonexistent/f.yaml", y, strlen(y), &e);
	*nerr = e.n;
	if (e.n)
		snprintf(first, cap, "%u:%u: %s", e.v[0].loc.line, e.v[0].loc.col, e.v[0].msg);
	cfg_errs_free(&e);
	if (*nerr == 0 && !c)
		fail();
	return c;
}

static void
test_config(void **state)
{
	char msg[400] = "";
	size_t n;
	struct cfg *c;

	(void)state;
	c = load("  enabled: true\n  database: \"host=/run/pg dbname=bs\"\n  server_name: rack7\n",
		 &n, msg, sizeof(msg));
	assert_int_equal(n, 0);
	assert_true(c->fleet_enabled);
	assert_string_equal(c->fleet_database, "host=/run/pg dbname=bs");
	assert_string_equal(c->fleet_server_name, "rack7");
	assert_int_equal(c->fleet_ship_ms, 1000);
	cfg_free(c);
	/* off by default */
	c = load("  database: /etc/bootstorm/fleet.conninfo\n", &n, msg, sizeof(msg));
	assert_int_equal(n, 0);
	assert_false(c->fleet_enabled);
	cfg_free(c);
	/* a password in the YAML, as a keyword or in a URI, is refused at its line */
	c = load("  database: \"host=x password=hunter2\"\n", &n, msg, sizeof(msg));
	assert_int_equal(n, 1);
	assert_non_null(strstr(msg, "3:13: fleet.database: no password"));
	cfg_free(c);
	c = load("  database: postgresql://bs:hunter2@db/bs\n", &n, msg, sizeof(msg));
	assert_int_equal(n, 1);
	cfg_free(c);
	c = load("  database: postgresql://bs@db/bs\n", &n, msg, sizeof(msg));
	assert_int_equal(n, 0);
	cfg_free(c);
	c = load("  enabled: true\n", &n, msg, sizeof(msg));
	assert_int_equal(n, 1);
	assert_non_null(strstr(msg, "needs fleet.database"));
	cfg_free(c);
}

/* ---- fleet-wide campaigns: pacing shares ---- */

static void
test_camp_share(void **state)
{
	struct fleet_share s;

	(void)state;
	/* one server: the fleet's figures */
	s = fleet_camp_share(6, 12, 0, 0, 1);
	assert_true(s.rate == 6);
	assert_int_equal(s.in_flight, 12);
	/* 0 servers counted (about to claim): as one */
	s = fleet_camp_share(6, 12, 0, 0, 0);
	assert_int_equal(s.in_flight, 12);
	/* three: a third each; the sum never exceeds the fleet's */
	s = fleet_camp_share(6, 12, 0, 0, 3);
	assert_true(s.rate == 2);
	assert_int_equal(s.in_flight, 4);
	s = fleet_camp_share(1, 10, 0, 0, 3); /* 10 / 3 = 3 (rounded down) */
	assert_true(s.rate * 3 <= 1.0 + 1e-12);
	assert_int_equal(s.in_flight, 3);
	/* the per-server caps bind when lower, not when higher */
	s = fleet_camp_share(6, 12, 0.5, 2, 3);
	assert_true(s.rate == 0.5);
	assert_int_equal(s.in_flight, 2);
	s = fleet_camp_share(6, 12, 100, 100, 3);
	assert_true(s.rate == 2);
	assert_int_equal(s.in_flight, 4);
	/* more servers than slots: one each (the fleet bound gives way to
	 * progress: n - 1 over) */
	s = fleet_camp_share(6, 2, 0, 0, 3);
	assert_int_equal(s.in_flight, 1);
	s = fleet_camp_share(6, 3, 0, 0, 3); /* n = max: exactly one each */
	assert_int_equal(s.in_flight, 1);
	s = fleet_camp_share(6, 4, 0, 0, 3); /* n - 1: still one each */
	assert_int_equal(s.in_flight, 1);
}

static void
test_camp_ids(void **state)
{
	char id[32];

	(void)state;
	fleet_camp_local_id("fleet-12", 12, id);
	assert_string_equal(id, "fleet-12");
	fleet_camp_local_id("rack.7", 9, id); /* a dot: not a file name we load */
	assert_string_equal(id, "fleet-9");
	fleet_camp_local_id("a23456789012345678901234567890b", 3, id); /* 31: fits */
	assert_string_equal(id, "a23456789012345678901234567890b");
	fleet_camp_local_id("a23456789012345678901234567890bc", 3, id); /* 32: not */
	assert_string_equal(id, "fleet-3");
	fleet_camp_local_id("", 4, id);
	assert_string_equal(id, "fleet-4");
	/* buckets: the RFC 3074 hash of the 6 MAC bytes */
	assert_true(fleet_camp_bucket("52:54:00:00:00:01") >= 0);
	assert_int_equal(fleet_camp_bucket("52:54:00:00:00:01"),
			 fleet_camp_bucket("52:54:00:00:00:01"));
	assert_int_equal(fleet_camp_bucket("52:54:00:00:00"), -1);
	assert_int_equal(fleet_camp_bucket("52:54:00:00:00:01x"), -1);
}

/* The fence: deadline 2000 ms, so held from 1000 ms after the last good
 * heartbeat write was sent (peers take over at 2000 ms) */
/* The agent's share vs its claims: a sorted name set. */
static void
test_names_set(void **state)
{
	(void)state;
	const char *v[] = { "n10", "n2", "rack1-n001", "n1" };

	fleet_names_sort(v, 4);
	assert_string_equal(v[0], "n1");
	assert_string_equal(v[3], "rack1-n001");
	for (int i = 0; i < 4; i++)
		assert_true(fleet_names_has(v, 4, v[i]));
	assert_false(fleet_names_has(v, 4, "n3"));
	assert_false(fleet_names_has(v, 4, "n"));
	assert_false(fleet_names_has(v, 0, "n1"));
}

static void
test_camp_fence(void **state)
{
	(void)state;
	assert_int_equal(fleet_camp_fence(5000, 0, 2000), FLEET_FENCE_NO_HEARTBEAT);
	assert_int_equal(fleet_camp_fence(5000, 5000, 2000), FLEET_FENCE_NONE);
	assert_int_equal(fleet_camp_fence(5999, 5000, 2000), FLEET_FENCE_NONE);
	assert_int_equal(fleet_camp_fence(6000, 5000, 2000), FLEET_FENCE_STALE);
	assert_int_equal(fleet_camp_fence(9000, 5000, 2000), FLEET_FENCE_STALE);
	/* a heartbeat written again lifts it (the caller re-reads claims first) */
	assert_int_equal(fleet_camp_fence(9000, 8500, 2000), FLEET_FENCE_NONE);
	/* sent after now was read (another thread): fresh, not stale */
	assert_int_equal(fleet_camp_fence(5000, 5001, 2000), FLEET_FENCE_NONE);
	/* an odd deadline rounds the half down: never later than half */
	assert_int_equal(fleet_camp_fence(1001, 1, 2001), FLEET_FENCE_STALE);
	assert_null(fleet_fence_reason(FLEET_FENCE_NONE));
	assert_non_null(fleet_fence_reason(FLEET_FENCE_STALE));
	assert_non_null(fleet_fence_reason(FLEET_FENCE_NO_HEARTBEAT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_order),
		cmocka_unit_test(test_tail_durable_and_resume),
		cmocka_unit_test(test_tail_cap_and_skip),
		cmocka_unit_test(test_tail_torn_and_damaged),
		cmocka_unit_test(test_pos),
		cmocka_unit_test(test_array_literal),
		cmocka_unit_test(test_lease_batch),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_camp_share),
		cmocka_unit_test(test_camp_ids),
		cmocka_unit_test(test_camp_fence),
		cmocka_unit_test(test_names_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
