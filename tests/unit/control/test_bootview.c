/* SPDX-License-Identifier: BSD-3-Clause
 * Boot progress view: MAC/IP correlation, stages, fixed capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/daemon/bootview.h"

static struct boot_event
bev(uint8_t macl, uint32_t ip, uint8_t stage, const char *file, uint64_t bytes, uint64_t total)
{
	struct boot_event e = { .ts_ms = 1000, .bytes = bytes, .total = total, .ip = ip,
				.stage = stage, .arch = 0xff };

	if (macl)
		memcpy(e.mac, (uint8_t[6]){ 0x52, 0x54, 0, 0, 0, macl }, 6);
	if (file)
		strncpy(e.file, file, sizeof(e.file) - 1);
	return e;
}

static void
test_correlation(void **state)
{
	struct bootview bv;
	struct bv_node n;
	uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	struct boot_event e;

	(void)state;
	assert_int_equal(bv_init(&bv, 4), 0);
	e = bev(1, 0, BOOT_STAGE_DHCP_DISCOVER, NULL, 0, 0);
	bv_event(&bv, &e);
	e = bev(1, 0x0a000064u, BOOT_STAGE_DHCP_BOUND, NULL, 0, 0);
	bv_event(&bv, &e);
	/* TFTP knows only the IP: lands on the same client */
	e = bev(0, 0x0a000064u, BOOT_STAGE_TFTP_PROGRESS, "centos7/initrd.img", 500, 1000);
	bv_event(&bv, &e);
	assert_true(bv_get_mac(&bv, mac1, &n));
	assert_int_equal(n.stage, BOOT_STAGE_TFTP_PROGRESS);
	assert_int_equal(n.ip, 0x0a000064u);
	assert_int_equal(n.bytes, 500);
	assert_int_equal(n.total, 1000);
	assert_string_equal(n.file, "centos7/initrd.img");
	assert_int_equal(bv.n, 1);
	/* kickstart fetched, then repo files: stays INSTALLING; %post done */
	bv_set_stage(&bv, mac1, 0, BOOT_STAGE_INSTALLING, "c.ks", 2000);
	bv_set_stage(&bv, NULL, 0x0a000064u, BOOT_STAGE_HTTP, "repo/x.rpm", 2001);
	assert_true(bv_get_ip(&bv, 0x0a000064u, &n));
	assert_int_equal(n.stage, BOOT_STAGE_INSTALLING);
	/* the kickstart and the rpm were both fetched over HTTP */
	assert_int_equal(n.http_files, 2);
	/* the initrd's 500/1000 does not stick to the kickstart */
	assert_string_equal(n.file, "c.ks");
	assert_int_equal(n.bytes, 0);
	assert_int_equal(n.total, 0);
	bv_set_stage(&bv, mac1, 0, BOOT_STAGE_DONE, NULL, 3000);
	assert_true(bv_get_mac(&bv, mac1, &n));
	assert_int_equal(n.stage, BOOT_STAGE_DONE);
	/* the address moves to another client: not merged into the first */
	e = bev(2, 0x0a000064u, BOOT_STAGE_DHCP_BOUND, NULL, 0, 0);
	bv_event(&bv, &e);
	assert_int_equal(bv.n, 2);
	assert_true(bv_get_ip(&bv, 0x0a000064u, &n));
	assert_int_equal(n.mac[5], 2);
	bv_free(&bv);
}

static void
test_capacity(void **state)
{
	struct bootview bv;
	uint32_t n;
	struct bv_node *all;

	(void)state;
	assert_int_equal(bv_init(&bv, 3), 0);
	for (uint8_t i = 1; i <= 10; i++) {
		struct boot_event e = bev(i, 0x0a000000u + i, BOOT_STAGE_DHCP_DISCOVER, NULL, 0, 0);

		bv_event(&bv, &e);
	}
	assert_int_equal(bv.n, 3);
	assert_int_equal(bv.dropped, 7);
	all = bv_copy(&bv, &n);
	assert_int_equal(n, 3);
	free(all);
	/* a bad stage from a confused producer is ignored */
	{
		struct boot_event e = bev(1, 0, BOOT_STAGE_MAX + 3, NULL, 0, 0);

		bv_event(&bv, &e);
		assert_int_equal(bv.events, 10);
	}
	bv_free(&bv);
}

/* Issue 15 item 9: names clients choose (a TFTP RRQ, a URL path) are
 * stored with control bytes as \xNN: nothing read back from the view can
 * drive a terminal. */
static void
test_file_sanitised(void **state)
{
	struct bootview bv;
	struct bv_node n;
	uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	struct boot_event e;

	(void)state;
	assert_int_equal(bv_init(&bv, 4), 0);
	e = bev(1, 0x0a000064u, BOOT_STAGE_TFTP_PROGRESS, "a\x1b]0;pwn\x07\x1b[2Jb", 1, 2);
	bv_event(&bv, &e);
	assert_true(bv_get_mac(&bv, mac1, &n));
	assert_string_equal(n.file, "a\\x1b]0;pwn\\x07\\x1b[2Jb");
	bv_set_stage(&bv, mac1, 0, BOOT_STAGE_HTTP, "x\r\n\x9b" "31m\\y", 2000);
	assert_true(bv_get_mac(&bv, mac1, &n));
	assert_string_equal(n.file, "x\\x0d\\x0a\\x9b" "31m\\x5cy");
	for (const char *p = n.file; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	/* plain names are kept as they are */
	bv_set_stage(&bv, mac1, 0, BOOT_STAGE_HTTP, "centos7/Packages/a-1.0.rpm", 2001);
	assert_true(bv_get_mac(&bv, mac1, &n));
	assert_string_equal(n.file, "centos7/Packages/a-1.0.rpm");
	bv_free(&bv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_correlation),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_file_sanitised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
