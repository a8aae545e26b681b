/* SPDX-License-Identifier: BSD-3-Clause
 * The table of discovered machines (control/daemon/discover.h): update in
 * place, capacity with the oldest evicted and the overflow counted,
 * removal (backward-shift deletion keeps every other MAC findable), a
 * flood of spoofed MACs that never grows the table, the file round trip
 * (order, counts, options), and the JSON (escaping, inventory filter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/daemon/discover.h"

static struct disc_event
ev_of(uint32_t k, uint64_t ts)
{
	struct disc_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.mac[0] = 0x02;
	ev.mac[2] = (uint8_t)(k >> 24);
	ev.mac[3] = (uint8_t)(k >> 16);
	ev.mac[4] = (uint8_t)(k >> 8);
	ev.mac[5] = (uint8_t)k;
	ev.ts_ms = ts;
	ev.arch = 7;
	ev.uuid_type = DISC_UUID_NONE;
	ev.msg_type = 1;
	return ev;
}

static bool
has(struct disc *d, uint32_t k)
{
	struct disc_event ev = ev_of(k, 0);
	struct disc_entry e;
	return disc_get(d, ev.mac, &e);
}

static void
test_update_in_place(void **state)
{
	struct disc d;
	struct disc_entry e;
	(void)state;
	assert_int_equal(disc_init(&d, 4, NULL), 0);
	struct disc_event a = ev_of(1, 1000), b = ev_of(1, 2000);
	b.arch = 0;
	memcpy(b.vendor_class, "PXEClient", 9);
	b.vc_len = 9;
	disc_event(&d, &a);
	disc_event(&d, &b);
	assert_int_equal(d.n, 1);
	assert_true(disc_get(&d, a.mac, &e));
	assert_int_equal(e.count, 2);
	assert_int_equal(e.first_ms, 1000);
	assert_int_equal(e.last_ms, 2000);
	assert_int_equal(e.ev.arch, 0); /* the latest sighting's options */
	assert_int_equal(e.ev.vc_len, 9);
	disc_free(&d);
}

/* cap n-1, n, n+1: the (n+1)th new MAC evicts the one seen longest ago,
 * not the one inserted first when that one was seen again since. */
static void
test_cap_evicts_oldest(void **state)
{
	struct disc d;
	(void)state;
	assert_int_equal(disc_init(&d, 3, NULL), 0);
	for (uint32_t k = 1; k <= 3; k++) {
		struct disc_event ev = ev_of(k, 100 * k);
		disc_event(&d, &ev);
	}
	assert_int_equal(d.n, 3);
	assert_int_equal(d.overflow, 0);
	struct disc_event again = ev_of(1, 400); /* 1 is now the newest */
	disc_event(&d, &again);
	struct disc_event four = ev_of(4, 500);
	disc_event(&d, &four);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.overflow, 1);
	assert_true(has(&d, 1));
	assert_false(has(&d, 2)); /* the oldest sighting went */
	assert_true(has(&d, 3));
	assert_true(has(&d, 4));
	disc_free(&d);
}

static void
test_flood_stays_at_cap(void **state)
{
	struct disc d;
	(void)state;
	assert_int_equal(disc_init(&d, 1000, NULL), 0);
	for (uint32_t k = 0; k < 5000; k++) {
		struct disc_event ev = ev_of(k, k);
		disc_event(&d, &ev);
		assert_true(d.n <= 1000);
	}
	assert_int_equal(d.n, 1000);
	assert_int_equal(d.overflow, 4000);
	assert_int_equal(d.events, 5000);
	/* the newest 1000 are kept, each still findable through the index */
	for (uint32_t k = 4000; k < 5000; k++)
		assert_true(has(&d, k));
	assert_false(has(&d, 3999));
	disc_free(&d);
}

static void
test_remove_keeps_index(void **state)
{
	struct disc d;
	(void)state;
	assert_int_equal(disc_init(&d, 64, NULL), 0);
	for (uint32_t k = 0; k < 64; k++) {
		struct disc_event ev = ev_of(k, k);
		disc_event(&d, &ev);
	}
	for (uint32_t k = 0; k < 64; k += 2) {
		struct disc_event ev = ev_of(k, 0);
		assert_true(disc_remove(&d, ev.mac));
		assert_false(disc_remove(&d, ev.mac));
	}
	assert_int_equal(d.n, 32);
	for (uint32_t k = 0; k < 64; k++)
		assert_int_equal(has(&d, k), k % 2 == 1);
	/* LRU still consistent: filling up evicts the oldest odd one first */
	for (uint32_t k = 100; k < 133; k++) {
		struct disc_event ev = ev_of(k, 1000 + k);
		disc_event(&d, &ev);
	}
	assert_int_equal(d.n, 64);
	assert_int_equal(d.overflow, 1);
	assert_false(has(&d, 1));
	assert_true(has(&d, 3));
	disc_free(&d);
}

static void
test_file_round_trip(void **state)
{
	char dir[] = "/tmp/bs-disc-XXXXXX", path[128];
	struct disc d, e;
	struct disc_entry x;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/discovered", dir);
	assert_int_equal(disc_init(&d, 8, path), 0);
	for (uint32_t k = 1; k <= 5; k++) {
		struct disc_event ev = ev_of(k, 100 * k);
		if (k == 3) {
			ev.uuid_type = 0;
			for (int i = 0; i < 16; i++)
				ev.uuid[i] = (uint8_t)i;
			memcpy(ev.vendor_class, "PXEClient:Arch:00007", 20);
			ev.vc_len = 20;
			ev.giaddr = 0x0a000001;
			memcpy(ev.circuit_id, "\x00\x01eth0", 6);
			ev.circuit_len = 6;
		}
		disc_event(&d, &ev);
		disc_event(&d, &ev);
	}
	assert_int_equal(disc_save(&d, false), 0);
	assert_int_equal(d.changes, 0);
	disc_free(&d);

	/* reopened with a smaller cap: the newest entries are kept */
	assert_int_equal(disc_init(&e, 4, path), 0);
	assert_int_equal(e.n, 4);
	assert_false(has(&e, 1));
	struct disc_event k3 = ev_of(3, 0);
	assert_true(disc_get(&e, k3.mac, &x));
	assert_int_equal(x.count, 2);
	assert_int_equal(x.first_ms, 300);
	assert_int_equal(x.ev.uuid_type, 0);
	assert_int_equal(x.ev.uuid[15], 15);
	assert_int_equal(x.ev.vc_len, 20);
	assert_memory_equal(x.ev.vendor_class, "PXEClient:Arch:00007", 20);
	assert_int_equal(x.ev.giaddr, 0x0a000001);
	assert_int_equal(x.ev.circuit_len, 6);
	/* LRU order survived: a new MAC evicts 2 (the oldest left) */
	struct disc_event six = ev_of(6, 9999);
	disc_event(&e, &six);
	assert_false(has(&e, 2));
	assert_true(has(&e, 5));
	disc_free(&e);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_json_escapes(void **state)
{
	struct disc d;
	(void)state;
	assert_int_equal(disc_init(&d, 4, NULL), 0);
	struct disc_event ev = ev_of(9, 10);
	memcpy(ev.vendor_class, "PXE\n\\\xff", 6);
	ev.vc_len = 6;
	disc_event(&d, &ev);
	json_t *j = disc_json(&d, NULL);
	assert_non_null(j);
	json_t *c = json_array_get(json_object_get(j, "clients"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "vendor_class")),
			    "PXE\\x0a\\x5c\\xff");
	assert_string_equal(json_string_value(json_object_get(c, "mac")), "02:00:00:00:00:09");
	assert_string_equal(json_string_value(json_object_get(c, "arch_name")), "x64 UEFI");
	assert_true(json_is_null(json_object_get(c, "uuid")));
	assert_int_equal(json_integer_value(json_object_get(j, "capacity")), 4);
	json_decref(j);
	disc_free(&d);
}

/* A MAC added to the inventory (enrolled, or written into the YAML) while
 * it sat in the table: the reload frees its slot, so a full table takes
 * that many new MACs without evicting anyone. */
static void
test_forget_known(void **state)
{
	struct disc d;
	struct cfg_node nodes[3];
	uint32_t by_mac[3] = { 0, 1, 2 };
	struct cfg cfg;
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(nodes, 0, sizeof(nodes));
	/* sorted by MAC: 2, 5, 8 of the 8 below (first, middle, newest) */
	for (int i = 0; i < 3; i++) {
		struct disc_event ev = ev_of((uint32_t)(2 + 3 * i), 0);
		memcpy(nodes[i].mac, ev.mac, 6);
	}
	cfg.nodes = nodes;
	cfg.n_nodes = 3;
	cfg.by_mac = by_mac;
	assert_int_equal(disc_init(&d, 8, NULL), 0);
	for (uint32_t k = 1; k <= 8; k++) {
		struct disc_event ev = ev_of(k, 100 * k);
		disc_event(&d, &ev);
	}
	uint64_t changes = d.changes;
	json_t *j = disc_json(&d, &cfg);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 5); /* hidden ... */
	json_decref(j);
	assert_int_equal(d.n, 8); /* ... but still holding their slots */

	assert_int_equal(disc_forget_known(&d, &cfg), 3);
	assert_int_equal(d.n, 5);
	assert_true(d.changes > changes); /* the next save writes it */
	for (uint32_t k = 1; k <= 8; k++)
		assert_int_equal(has(&d, k), k != 2 && k != 5 && k != 8);
	assert_int_equal(disc_forget_known(&d, &cfg), 0);
	/* three new MACs fit without evicting; a fourth evicts the oldest (1) */
	for (uint32_t k = 20; k < 23; k++) {
		struct disc_event ev = ev_of(k, 1000 + k);
		disc_event(&d, &ev);
	}
	assert_int_equal(d.n, 8);
	assert_int_equal(d.overflow, 0);
	struct disc_event ev = ev_of(23, 2000);
	disc_event(&d, &ev);
	assert_int_equal(d.overflow, 1);
	assert_false(has(&d, 1));
	assert_true(has(&d, 3));
	/* LRU walk newest to oldest still covers every entry exactly once */
	uint32_t seen = 0;
	for (uint32_t s = d.newest; s != DISC_NIL && seen <= d.n; s = d.v[s].next)
		seen++;
	assert_int_equal(seen, d.n);
	disc_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_in_place),	  cmocka_unit_test(test_cap_evicts_oldest),
		cmocka_unit_test(test_flood_stays_at_cap), cmocka_unit_test(test_remove_keeps_index),
		cmocka_unit_test(test_file_round_trip),	  cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_forget_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
