/* SPDX-License-Identifier: BSD-3-Clause
 * Following the fleet database, the pure parts (control/fleet/fleet_inv.h):
 * ownership, the change-batch merge into this server's part of the
 * inventory (adds, changes, tombstones, rows moving to another server, a
 * full read dropping what it does not name, the highest seq of a name
 * winning inside a batch), its CSV, node-set expansion for `db set-state`,
 * and ns_set_many (a database batch taken by the node-state store only
 * where it is newer). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/daemon/nodestate.h"
#include "control/fleet/fleet_inv.h"

static struct fleet_inv_row
row(const char *name, const char *mac, const char *ip, bool mine, uint64_t seq)
{
	struct fleet_inv_row r = { .mine = mine, .seq = seq };

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.mac, sizeof(r.mac), "%s", mac);
	snprintf(r.ip, sizeof(r.ip), "%s", ip);
	return r;
}

static void
test_owns(void **state)
{
	uint32_t nets[2] = { 0x0a4d0000u, 0x0a4e0000u }; /* 10.77.0.0/24, 10.78.0.0/16 */
	uint8_t pfx[2] = { 24, 16 };

	(void)state;
	assert_true(fleet_owns("a", 0, "a", nets, pfx, 2));
	assert_false(fleet_owns("b", 0x0a4d0005u, "a", nets, pfx, 2)); /* named wins over subnet */
	assert_true(fleet_owns("", 0x0a4d0005u, "a", nets, pfx, 2));
	assert_true(fleet_owns(NULL, 0x0a4e1234u, "a", nets, pfx, 2));
	assert_false(fleet_owns(NULL, 0x0a4f0001u, "a", nets, pfx, 2));
	assert_false(fleet_owns(NULL, 0, "a", nets, pfx, 2)); /* no server, no address */
}

static void
test_merge(void **state)
{
	struct fleet_inv t = { 0 };
	struct fleet_inv_row b1[] = {
		row("n3", "00:00:00:00:00:03", "10.0.0.3", true, 3),
		row("n1", "00:00:00:00:00:01", "10.0.0.1", true, 1),
		row("n2", "00:00:00:00:00:02", "", true, 2),
		row("x9", "00:00:00:00:00:09", "", false, 4), /* another server's */
	};

	(void)state;
	assert_int_equal(fleet_inv_merge(&t, b1, 4, true), 3);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.r[0].name, "n1");
	assert_string_equal(t.r[2].name, "n3");
	/* the same rows again: nothing changed */
	struct fleet_inv_row b2[] = { row("n1", "00:00:00:00:00:01", "10.0.0.1", true, 1) };
	assert_int_equal(fleet_inv_merge(&t, b2, 1, false), 0);
	/* a change, a tombstone, a node moving away, a new one; a name twice
	 * in the batch: its highest seq speaks */
	struct fleet_inv_row b3[] = {
		row("n1", "00:00:00:00:00:11", "10.0.0.1", true, 7),
		row("n2", "", "", true, 8),
		row("n3", "00:00:00:00:00:03", "10.0.0.3", false, 9),
		row("n4", "00:00:00:00:00:04", "10.0.0.4", true, 11),
		row("n4", "00:00:00:00:00:44", "10.0.0.4", true, 10),
	};
	b3[1].gone = true;
	assert_int_equal(fleet_inv_merge(&t, b3, 5, false), 4);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.r[0].name, "n1");
	assert_string_equal(t.r[0].mac, "00:00:00:00:00:11");
	assert_string_equal(t.r[1].name, "n4");
	assert_string_equal(t.r[1].mac, "00:00:00:00:00:04");
	/* a tombstone of a node never here changes nothing */
	struct fleet_inv_row b4[] = { row("zz", "", "", true, 12) };
	b4[0].gone = true;
	assert_int_equal(fleet_inv_merge(&t, b4, 1, false), 0);
	/* a full read drops what it does not name */
	struct fleet_inv_row b5[] = { row("n4", "00:00:00:00:00:04", "10.0.0.4", true, 11) };
	assert_int_equal(fleet_inv_merge(&t, b5, 1, true), 1);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.r[0].name, "n4");
	/* an empty full read empties it */
	assert_int_equal(fleet_inv_merge(&t, NULL, 0, true), 1);
	assert_int_equal(t.n, 0);
	fleet_inv_free(&t);
}

static void
test_csv(void **state)
{
	struct fleet_inv t = { 0 };
	struct fleet_inv_row b[] = {
		row("n2", "00:00:00:00:00:02", "", true, 2),
		row("n1", "00:00:00:00:00:01", "10.0.0.1", true, 1),
	};
	struct fleet_str s = { 0 };

	(void)state;
	snprintf(b[1].profile, sizeof(b[1].profile), "lab");
	snprintf(b[1].bmc, sizeof(b[1].bmc), "ipmi://10.9.0.1:9001");
	assert_int_equal(fleet_inv_merge(&t, b, 2, true), 2);
	assert_true(fleet_inv_csv(&t, "a", &s));
	assert_non_null(strstr(s.p, "name,mac,ip,profile\n"
				    "n1,00:00:00:00:00:01,10.0.0.1,lab,bmc=ipmi://10.9.0.1:9001\n"
				    "n2,00:00:00:00:00:02,,\n"));
	/* a changed BMC alone is a change (the config must reload) */
	struct fleet_inv_row b2[] = { b[1] };
	snprintf(b2[0].bmc, sizeof(b2[0].bmc), "ipmi://10.9.0.2");
	assert_int_equal(fleet_inv_merge(&t, b2, 1, false), 1);
	assert_int_equal(fleet_inv_merge(&t, b2, 1, false), 0);
	assert_int_equal(strlen(s.p), s.len);
	assert_int_equal(s.p[0], '#');
	fleet_str_free(&s);
	fleet_inv_free(&t);
}

static void
test_nodeset(void **state)
{
	struct fleet_arr a = { 0 };
	const char *bad = NULL;

	(void)state;
	assert_int_equal(fleet_nodeset_expand("n1,node[008-011],r[1-2]-a", &a, &bad), 7);
	assert_null(bad);
	assert_string_equal(fleet_arr_done(&a),
			    "{\"n1\",\"node008\",\"node009\",\"node010\",\"node011\",\"r1-a\",\"r2-a\"}");
	fleet_arr_free(&a);
	memset(&a, 0, sizeof(a));
	assert_int_equal(fleet_nodeset_expand("n1,bad name", &a, &bad), -EINVAL);
	assert_string_equal(bad, "bad name");
	fleet_arr_free(&a);
	memset(&a, 0, sizeof(a));
	assert_int_equal(fleet_nodeset_expand("n[5-2]", &a, &bad), -EINVAL);
	fleet_arr_free(&a);
	memset(&a, 0, sizeof(a));
	assert_int_equal(fleet_nodeset_expand("n1,,n2", &a, &bad), -EINVAL);
	fleet_arr_free(&a);
	memset(&a, 0, sizeof(a));
	assert_int_equal(fleet_nodeset_expand("n[0-999999999]", &a, &bad), -EINVAL);
	fleet_arr_free(&a);
}

static struct ns_rec
rec(const char *name, enum ns_state st, uint64_t since)
{
	struct ns_rec r = { .state = (uint8_t)st, .since_ms = since };

	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

static void
test_set_many(void **state)
{
	struct nodestate ns;
	struct ns_rec got;
	bool applied[4];

	(void)state;
	assert_int_equal(ns_open(&ns, NULL), 0);
	assert_int_equal(ns_set(&ns, "a", NS_LOCAL, NULL, NULL, 100), 1);
	assert_int_equal(ns_set(&ns, "b", NS_INSTALL, NULL, NULL, 300), 1);
	struct ns_rec in[4] = {
		rec("a", NS_INSTALL, 200), /* newer: taken */
		rec("b", NS_LOCAL, 250),   /* older than the local `b`: kept */
		rec("c", NS_HOLD, 50),     /* no record: taken */
		rec("d", NS_NONE, 999),    /* not a state */
	};
	assert_int_equal(ns_set_many(&ns, in, 4, applied), 2);
	assert_true(applied[0]);
	assert_false(applied[1]);
	assert_true(applied[2]);
	assert_false(applied[3]);
	assert_true(ns_get(&ns, "a", &got));
	assert_int_equal(got.state, NS_INSTALL);
	assert_int_equal(got.since_ms, 200); /* the database's clock, kept */
	assert_true(ns_get(&ns, "b", &got));
	assert_int_equal(got.state, NS_INSTALL);
	assert_true(ns_get(&ns, "c", &got));
	assert_int_equal(got.state, NS_HOLD);
	assert_false(ns_get(&ns, "d", &got));
	/* the same batch again (the shipper's echo, a re-read): no change */
	assert_int_equal(ns_set_many(&ns, in, 4, NULL), 0);
	ns_close(&ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owns),   cmocka_unit_test(test_merge),
		cmocka_unit_test(test_csv),    cmocka_unit_test(test_nodeset),
		cmocka_unit_test(test_set_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
