/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Option walker (pad/end, RFC 3396 concatenation, option 52 overload and
 * its loop protection, wire-table length bounds) and writer (split of long
 * values, fail-closed), plus the fixed-header checks of dhcp_msg_parse().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/counters.h"
#include "dataplane/dhcp/dhcp_msg.h"
#include "dataplane/dhcp/dhcp_opts.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

static const uint8_t MAC[6] = { 0x02, 0, 0, 0, 0, 0x42 };
static struct dhcp_opts opts;
static struct dhcp_msg msg;

static int
parse(const struct pk *p)
{
	return dhcp_msg_parse(&msg, &opts, p->b, p->len);
}

static void
test_pad_end_and_values(void **st)
{
	(void)st;
	struct pk p;
	uint8_t pad[3] = { 0 };
	pk_start(&p, 1, MAC, 7);
	memcpy(p.b + p.len, pad, 3); /* PADs between options are skipped */
	p.len += 3;
	pk_opt32(&p, 50, IP4(10, 77, 0, 150));
	pk_end(&p);
	p.b[p.len - 1] = 12; /* junk after END must be ignored */
	assert_int_equal(parse(&p), 0);
	assert_int_equal(msg.type, 1);
	assert_true(msg.has_req_ip);
	assert_int_equal(msg.req_ip, IP4(10, 77, 0, 150));
	assert_false(dhcp_opt_has(&opts, 12));
	assert_int_equal(msg.xid, 7);
}

static void
test_concatenation_rfc3396(void **st)
{
	(void)st;
	struct pk p;
	const uint8_t a[] = { 1, 3, 6 }, b[] = { 15, 66, 67 };
	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 55, a, 3);
	pk_opt32(&p, 50, IP4(10, 77, 0, 150));
	pk_opt(&p, 55, b, 3); /* second instance: appended in order */
	pk_end(&p);
	assert_int_equal(parse(&p), 0);
	size_t n = 0;
	const uint8_t *v = dhcp_opt_get(&opts, 55, &n);
	assert_non_null(v);
	assert_int_equal(n, 6);
	const uint8_t want[] = { 1, 3, 6, 15, 66, 67 };
	assert_memory_equal(v, want, 6);
}

/* Option 52 = 3: options field, then file, then sname (RFC 3396 5), and a
 * value split across all three is reassembled in that order. */
static void
test_overload_file_and_sname(void **st)
{
	(void)st;
	struct pk p;
	uint8_t ov = 3, uc1[] = { 'a' }, uc2[] = { 'b' }, uc3[] = { 'c' };
	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, &ov, 1);
	pk_opt(&p, 77, uc1, 1);
	pk_end(&p);
	/* file field at 108: 93 (arch 7) + part of 77; sname at 44: rest. */
	uint8_t file[] = { 93, 2, 0, 7, 77, 1, 'b', 255 };
	uint8_t sname[] = { 0, 77, 1, 'c', 255 };
	memcpy(p.b + 108, file, sizeof(file));
	memcpy(p.b + 44, sname, sizeof(sname));
	(void)uc2;
	(void)uc3;
	assert_int_equal(parse(&p), 0);
	assert_int_equal(opts.overload, 3);
	size_t n = 0;
	const uint8_t *v = dhcp_opt_get(&opts, 93, &n);
	assert_non_null(v);
	assert_int_equal(n, 2);
	assert_int_equal(v[1], 7);
	v = dhcp_opt_get(&opts, 77, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "abc", 3);
}

/* Without option 52 the file field is a file name, never options. */
static void
test_no_overload_ignores_file(void **st)
{
	(void)st;
	struct pk p;
	pk_start(&p, 1, MAC, 1);
	pk_end(&p);
	uint8_t file[] = { 93, 2, 0, 7, 255 };
	memcpy(p.b + 108, file, sizeof(file));
	assert_int_equal(parse(&p), 0);
	assert_false(dhcp_opt_has(&opts, 93));
}

static void
test_overload_loop_and_bad_values(void **st)
{
	(void)st;
	struct pk p;
	uint8_t ov = 1, bad = 4, two[2] = { 1, 1 };

	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, &ov, 1);
	pk_end(&p);
	uint8_t file[] = { 52, 1, 1, 255 }; /* option 52 inside the file field */
	memcpy(p.b + 108, file, sizeof(file));
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OVERLOAD_LOOP);

	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, &bad, 1);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OVERLOAD);

	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, two, 2);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_LEN);

	/* Two one-byte 52s concatenate to length 2: refused too. */
	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, &ov, 1);
	pk_opt(&p, 52, &ov, 1);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_LEN);

	/* An option in the overloaded file field running past its 128 bytes. */
	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 52, &ov, 1);
	pk_end(&p);
	p.b[108 + 126] = 77;
	p.b[108 + 127] = 5;
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_TRUNCATED);
}

static void
test_length_past_end(void **st)
{
	(void)st;
	struct pk p;
	pk_start(&p, 1, MAC, 1);
	p.b[p.len++] = 60;
	p.b[p.len++] = 200; /* claims 200 bytes, 3 left */
	p.b[p.len++] = 'P';
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_TRUNCATED);

	pk_start(&p, 1, MAC, 1);
	p.b[p.len++] = 60; /* code with no length byte at the very end */
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_TRUNCATED);
}

/* Wire table bounds, n-1 / n / n+1 (STYLE.md). */
static void
test_wire_table_bounds(void **st)
{
	(void)st;
	static const struct {
		uint8_t code;
		size_t len;
		int want;
	} cases[] = {
		{ 50, 3, BS_CTR_DROP_DHCP_OPT_LEN }, { 50, 4, 0 }, { 50, 5, BS_CTR_DROP_DHCP_OPT_LEN },
		{ 54, 0, BS_CTR_DROP_DHCP_OPT_LEN }, { 57, 1, BS_CTR_DROP_DHCP_OPT_LEN },
		{ 57, 3, BS_CTR_DROP_DHCP_OPT_LEN }, { 61, 1, BS_CTR_DROP_DHCP_OPT_LEN }, { 61, 2, 0 },
		{ 93, 1, BS_CTR_DROP_DHCP_OPT_LEN }, { 93, 2, 0 }, { 93, 4, 0 },
		{ 97, 16, BS_CTR_DROP_DHCP_OPT_LEN }, { 97, 17, 0 }, { 97, 18, BS_CTR_DROP_DHCP_OPT_LEN },
		{ 60, 0, BS_CTR_DROP_DHCP_OPT_LEN }, { 12, 0, BS_CTR_DROP_DHCP_OPT_LEN },
		{ 80, 0, 0 }, { 80, 1, BS_CTR_DROP_DHCP_OPT_LEN },
		{ 224, 0, 0 }, /* unknown option, zero length: ignored */
		{ 224, 255, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pk p;
		uint8_t v[255];
		memset(v, 0, sizeof(v));
		if (cases[i].code == 57 && cases[i].len == 2)
			v[0] = 2;
		pk_start(&p, 1, MAC, 1);
		pk_opt(&p, cases[i].code, v, cases[i].len);
		pk_end(&p);
		int rc = parse(&p);
		if (rc != cases[i].want)
			fail_msg("option %u len %zu: got %d want %d", cases[i].code, cases[i].len, rc,
				 cases[i].want);
	}
	/* Concatenation counts: two 53s make a 2-byte message type. */
	struct pk p;
	uint8_t t = 1;
	pk_start(&p, 1, MAC, 1);
	pk_opt(&p, 53, &t, 1);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_OPT_LEN);
}

static void
test_fixed_header_drops(void **st)
{
	(void)st;
	struct pk p;
	pk_start(&p, 1, MAC, 1);
	pk_end(&p);
	assert_int_equal(dhcp_msg_parse(&msg, &opts, p.b, 239), BS_CTR_DROP_DHCP_TRUNCATED);
	assert_int_equal(dhcp_msg_parse(&msg, &opts, p.b, 0), BS_CTR_DROP_DHCP_TRUNCATED);
	assert_int_equal(dhcp_msg_parse(&msg, &opts, p.b, 240), BS_CTR_DROP_DHCP_NO_MSG_TYPE);
	assert_int_equal(dhcp_msg_parse(&msg, &opts, p.b, DHCP_PARSE_MAX + 1),
			 BS_CTR_DROP_DHCP_TOO_LONG);

	struct {
		size_t off;
		uint8_t val;
		int want;
	} cases[] = {
		{ 0, 2, BS_CTR_DROP_DHCP_BOOTREPLY }, { 0, 3, BS_CTR_DROP_DHCP_BAD_OP },
		{ 1, 6, BS_CTR_DROP_DHCP_HTYPE },     { 2, 16, BS_CTR_DROP_DHCP_HLEN },
		{ 28, 0x01, BS_CTR_DROP_DHCP_ZERO_MAC }, /* group bit */
		{ 236, 0x64, BS_CTR_DROP_DHCP_NO_COOKIE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pk_start(&p, 1, MAC, 1);
		pk_end(&p);
		p.b[cases[i].off] = cases[i].val;
		assert_int_equal(parse(&p), cases[i].want);
	}
	static const uint8_t zero[6];
	pk_start(&p, 1, zero, 1);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_ZERO_MAC);
	/* Server message types and unknown ones from a client. */
	for (uint8_t t = 0; t < 20; t++) {
		pk_start(&p, t, MAC, 1);
		if (t == 0) {
			uint8_t z = 0;
			pk_opt(&p, 53, &z, 1);
		}
		pk_end(&p);
		bool client = t == 1 || t == 3 || t == 4 || t == 7 || t == 8;
		assert_int_equal(parse(&p), client ? 0 : BS_CTR_DROP_DHCP_BAD_MSG_TYPE);
	}
	/* RFC 2132 9.10: option 57 below 576 (575 / 576 boundary). */
	pk_start(&p, 1, MAC, 1);
	uint8_t ms[2] = { 575 >> 8, 575 & 255 };
	pk_opt(&p, 57, ms, 2);
	pk_end(&p);
	assert_int_equal(parse(&p), BS_CTR_DROP_DHCP_BAD_MAX_SIZE);
	pk_start(&p, 1, MAC, 1);
	ms[1] = 576 & 255;
	ms[0] = 576 >> 8;
	pk_opt(&p, 57, ms, 2);
	pk_end(&p);
	assert_int_equal(parse(&p), 0);
	assert_int_equal(msg.max_size, 576);
	assert_int_equal(dhcp_msg_reply_limit(&msg, 1472), 548);
}

static void
test_writer_split_and_fail_closed(void **st)
{
	(void)st;
	uint8_t buf[600], val[300];
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)i;
	assert_int_equal(dhcp_opt_wire_len(0), 2);
	assert_int_equal(dhcp_opt_wire_len(255), 257);
	assert_int_equal(dhcp_opt_wire_len(256), 260);
	assert_int_equal(dhcp_opt_wire_len(300), 304);

	struct wcur w = wcur_init(buf, sizeof(buf));
	assert_true(dhcp_opt_put(&w, 1, 67, val, 300));
	assert_int_equal(w.len, 304);
	assert_int_equal(buf[0], 67);
	assert_int_equal(buf[1], 255);
	assert_int_equal(buf[257], 67);
	assert_int_equal(buf[258], 45);
	assert_memory_equal(buf + 259, val + 255, 45);

	/* Exactly fits with keep, then one byte more does not. */
	w = wcur_init(buf, 10);
	assert_false(dhcp_opt_put(&w, 1, 12, val, 8)); /* 10 + keep 1 > 10 */
	assert_int_equal(w.len, 0);
	assert_false(w.bad);
	assert_true(dhcp_opt_put(&w, 1, 12, val, 7));
	assert_int_equal(w.len, 9);
	assert_false(dhcp_opt_put_u8(&w, 0, 53, 1)); /* 2 > 1 left */
	assert_int_equal(w.len, 9);
}

static void
test_table_lookup(void **st)
{
	(void)st;
	assert_true(dhcp_opt_known(93));
	assert_int_equal(dhcp_opt_min(93), 2);
	assert_int_equal(dhcp_opt_min(53), 1);
	assert_int_equal(dhcp_opt_max(53), 1);
	assert_false(dhcp_opt_known(224));
	assert_int_equal(dhcp_opt_min(224), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pad_end_and_values),
		cmocka_unit_test(test_concatenation_rfc3396),
		cmocka_unit_test(test_overload_file_and_sname),
		cmocka_unit_test(test_no_overload_ignores_file),
		cmocka_unit_test(test_overload_loop_and_bad_values),
		cmocka_unit_test(test_length_past_end),
		cmocka_unit_test(test_wire_table_bounds),
		cmocka_unit_test(test_fixed_header_drops),
		cmocka_unit_test(test_writer_split_and_fail_closed),
		cmocka_unit_test(test_table_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
