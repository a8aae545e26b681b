/* SPDX-License-Identifier: BSD-3-Clause
 * Lease table (conf/leases.c): indexes, state accounting, events, seqlock. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/leases.h"

static struct lease_table *
mk(uint32_t cap)
{
	size_t sz = lease_table_size(cap);
	struct lease_table *t = calloc(1, sz);
	assert_non_null(t);
	assert_int_equal(lease_table_init(t, cap), 0);
	assert_int_equal(lease_table_check(t, sz), 0);
	return t;
}

static void
mac_of(uint8_t mac[6], uint32_t i)
{
	mac[0] = 0x52; mac[1] = 0x54; mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16); mac[4] = (uint8_t)(i >> 8); mac[5] = (uint8_t)i;
}

static void
test_init_check(void **state)
{
	(void)state;
	assert_int_equal(lease_table_init(&(struct lease_table){ 0 }, 0), -EINVAL);
	struct lease_table *t = mk(100); /* rounds up to 128 */
	assert_int_equal(t->cap, 128);
	/* A table claiming more than the bytes it sits in is refused. */
	assert_int_equal(lease_table_check(t, lease_table_size(100) - 1), -EINVAL);
	t->magic ^= 1;
	assert_int_equal(lease_table_check(t, lease_table_size(100)), -EINVAL);
	free(t);
}

static void
test_fill_and_lookup(void **state)
{
	(void)state;
	const uint32_t n = 4096;
	struct lease_table *t = mk(n);
	uint8_t mac[6];
	for (uint32_t i = 0; i < n; i++) {
		struct lease *l = lease_get_or_add(t, 0x0a000000u + i);
		assert_non_null(l);
		mac_of(mac, i);
		lease_update(t, l, LEASE_BOUND, mac, 1000 + i, 1);
	}
	/* full: cap reached */
	assert_null(lease_get_or_add(t, 0x0b000000u));
	assert_int_equal(t->used, n);
	assert_int_equal(t->bound, n);
	for (uint32_t i = 0; i < n; i++) {
		mac_of(mac, i);
		struct lease *a = lease_by_ip(t, 0x0a000000u + i), *b = lease_by_mac(t, mac);
		assert_non_null(a);
		assert_ptr_equal(a, b);
		assert_int_equal(a->expires_ms, 1000 + i);
	}
	mac_of(mac, n + 5);
	assert_null(lease_by_mac(t, mac));
	assert_null(lease_by_ip(t, 0x0c000000u));
	free(t);
}

static void
test_mac_moves(void **state)
{
	(void)state;
	struct lease_table *t = mk(64);
	uint8_t a[6], b[6];
	mac_of(a, 1);
	mac_of(b, 2);
	struct lease *l1 = lease_get_or_add(t, 100), *l2 = lease_get_or_add(t, 200);
	lease_update(t, l1, LEASE_BOUND, a, 5, 1);
	/* Client a moves to address 200: its index follows, 100 keeps history. */
	lease_update(t, l2, LEASE_BOUND, a, 6, 2);
	assert_ptr_equal(lease_by_mac(t, a), l2);
	assert_int_equal(t->bound, 2);
	lease_update(t, l1, LEASE_EXPIRED, a, 5, 3);
	assert_int_equal(t->bound, 1);
	/* Address 200 reassigned to b: a no longer has a current lease. */
	lease_update(t, l2, LEASE_OFFERED, b, 7, 4);
	assert_null(lease_by_mac(t, a));
	assert_ptr_equal(lease_by_mac(t, b), l2);
	assert_int_equal(t->bound, 0);
	/* Many reassignments reuse tombstones instead of exhausting the index. */
	for (uint32_t i = 10; i < 10000; i++) {
		mac_of(a, i);
		lease_update(t, l1, LEASE_BOUND, a, i, i);
		assert_ptr_equal(lease_by_mac(t, a), l1);
	}
	free(t);
}

static void
test_events(void **state)
{
	(void)state;
	struct lease_table *t = mk(64);
	struct lease_event ev = { .seq = 7, .kind = LEASE_EV_GRANT, .ip = 0x0a4d0064,
				  .expires_ms = 99, .ts_ms = 1, .client_id_len = 3,
				  .client_id = { 1, 2, 3 } };
	mac_of(ev.mac, 9);
	strcpy(ev.hostname, "node009");
	assert_int_equal(lease_apply_event(t, &ev), 0);
	struct lease *l = lease_by_mac(t, ev.mac);
	assert_non_null(l);
	assert_int_equal(l->state, LEASE_BOUND);
	assert_string_equal(l->hostname, "node009");
	assert_int_equal(l->journal_seq, 7);
	assert_int_equal(lease_next_seq(t), 8);
	/* A stale RELEASE from another MAC does not unbind the holder. */
	struct lease_event rel = ev;
	rel.kind = LEASE_EV_RELEASE;
	rel.seq = 9;
	mac_of(rel.mac, 10);
	assert_int_equal(lease_apply_event(t, &rel), 0);
	assert_int_equal(l->state, LEASE_BOUND);
	rel.mac[5] = 9;
	assert_int_equal(lease_apply_event(t, &rel), 0);
	assert_int_equal(l->state, LEASE_RELEASED);
	assert_int_equal(t->bound, 0);
	assert_int_equal(lease_next_seq(t), 10);
	ev.kind = LEASE_EV_MAX;
	assert_int_equal(lease_apply_event(t, &ev), -EINVAL);
	free(t);
}

struct hammer {
	struct lease_table *t;
	volatile int stop;
	unsigned torn;
	unsigned reads;
};

static void *
reader(void *arg)
{
	struct hammer *h = arg;
	struct lease c;
	while (!h->stop) {
		if (!lease_read(h->t, 0, &c))
			continue;
		h->reads++;
		/* The writer keeps expires == updated == mac[5] pattern. */
		if (c.expires_ms != c.updated_ms || (uint8_t)c.expires_ms != c.mac[5])
			h->torn++;
	}
	return NULL;
}

static void
test_seqlock(void **state)
{
	(void)state;
	struct hammer h = { .t = mk(16) };
	struct lease *l = lease_get_or_add(h.t, 1);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, reader, &h), 0);
	uint8_t mac[6] = { 0 };
	for (uint64_t i = 1; i < 2000000; i++) {
		mac[5] = (uint8_t)i;
		mac[4] = 1;
		lease_update(h.t, l, LEASE_BOUND, mac, i, i);
	}
	h.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(h.torn, 0);
	assert_true(h.reads > 0);
	free(h.t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_check),
		cmocka_unit_test(test_fill_and_lookup),
		cmocka_unit_test(test_mac_moves),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_seqlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
