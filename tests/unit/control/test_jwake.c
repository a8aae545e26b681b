/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal thread's doorbell (shm/jwake.h): a kick ends a sleep, a kick
 * before the sleep (word moved since arming) makes it return at once, no
 * kick times out, and the sleeper's flag is set only while it may sleep.
 * The outcomes are the return values, never durations.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/jwake.h"

struct sleeper {
	struct shm_hdr *h;
	uint32_t seen;
	_Atomic int armed;
	int woke;
};

static void *
sleep_main(void *arg)
{
	struct sleeper *s = arg;

	s->seen = shm_jwake_arm(s->h);
	atomic_store(&s->armed, 1);
	/* 30 s: the test fails on its own timeout long before, if no kick */
	s->woke = shm_jwake_wait(s->h, s->seen, 30u * 1000000u);
	return NULL;
}

static void
test_kick_ends_sleep(void **state)
{
	struct shm_hdr *h = calloc(1, sizeof(*h));
	struct sleeper s = { .h = h };
	pthread_t t;

	(void)state;
	assert_non_null(h);
	assert_int_equal(pthread_create(&t, NULL, sleep_main, &s), 0);
	while (!atomic_load(&s.armed))
		usleep(100);
	assert_int_equal(atomic_load(&h->jwaiting), 1);
	usleep(20000); /* most likely inside FUTEX_WAIT by now; either way it must end */
	shm_jwake_kick(h);
	pthread_join(t, NULL);
	assert_int_equal(s.woke, 1);
	assert_int_equal(atomic_load(&h->jwaiting), 0);
	assert_int_equal(atomic_load(&h->jwake), 1);
	free(h);
}

static void
test_kick_before_wait(void **state)
{
	struct shm_hdr *h = calloc(1, sizeof(*h));
	uint32_t seen;

	(void)state;
	assert_non_null(h);
	seen = shm_jwake_arm(h);
	shm_jwake_kick(h); /* between the arming and the sleep */
	assert_int_equal(shm_jwake_wait(h, seen, 30u * 1000000u), 1);
	assert_int_equal(atomic_load(&h->jwaiting), 0);
	free(h);
}

static void
test_timeout_and_zero(void **state)
{
	struct shm_hdr *h = calloc(1, sizeof(*h));

	(void)state;
	assert_non_null(h);
	assert_int_equal(shm_jwake_wait(h, shm_jwake_arm(h), 1000), 0); /* 1 ms, no kick */
	assert_int_equal(shm_jwake_wait(h, shm_jwake_arm(h), 0), 1);	 /* told not to sleep */
	assert_int_equal(atomic_load(&h->jwaiting), 0);
	shm_jwake_kick(h); /* nobody sleeps: only the word moves */
	assert_int_equal(atomic_load(&h->jwake), 1);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kick_ends_sleep),
		cmocka_unit_test(test_kick_before_wait),
		cmocka_unit_test(test_timeout_and_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
