/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: bytes as the value of a Range header (a C string, as
 * libmicrohttpd hands it over: a NUL ends it), interpreted by
 * http_range_parse() against representations of boundary sizes (0, 1,
 * 2^32, 2^64-1 ... and n-1, n, n+1 of every number in the header).
 *
 * Invariants:
 *   - RANGE_OK only for a non-empty file, with 1 <= len and
 *     start + len <= size, computed without overflow;
 *   - the canonical forms built from the same numbers ("bytes=a-b",
 *     "bytes=a-", "bytes=-n") give exactly what RFC 9110 14.1.1/14.1.2
 *     says, checked against the arithmetic written out here;
 *   - the same bytes as an If-Modified-Since / If-Range date: a date
 *     http_date_parse() accepts formats back to one it reads as the same
 *     instant (the 304 and If-Range decisions compare such dates).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/httputil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NUMS 4

static void
check_ok(enum range_res r, uint64_t size, uint64_t start, uint64_t len)
{
	if (r >= RANGE_RES_MAX)
		abort();
	if (r != RANGE_OK)
		return;
	if (size == 0 || len == 0 || start >= size || len > size - start)
		abort(); /* a range outside the file: 206 would read past EOF */
}

/* RFC 9110 14.1.1 for "bytes=first-last" (last = UINT64_MAX for "first-",
 * which is also what a saturated huge last-pos means). */
static void
expect_span(uint64_t size, uint64_t first, uint64_t last, bool open_end)
{
	char hdr[64];
	uint64_t s = 0, l = 0;
	enum range_res r;

	if (open_end)
		snprintf(hdr, sizeof(hdr), "bytes=%" PRIu64 "-", first);
	else
		snprintf(hdr, sizeof(hdr), "bytes=%" PRIu64 "-%" PRIu64, first, last);
	r = http_range_parse(hdr, size, &s, &l);
	check_ok(r, size, s, l);
	if (open_end)
		last = UINT64_MAX;
	if (last < first) { /* invalid range-spec: ignored */
		if (r != RANGE_NONE)
			abort();
	} else if (first >= size) {
		if (r != RANGE_UNSATISFIABLE)
			abort();
	} else {
		uint64_t end = last < size - 1 ? last : size - 1;

		if (r != RANGE_OK || s != first || l != end - first + 1)
			abort();
	}
}

/* RFC 9110 14.1.2: the last n bytes; n == 0 is unsatisfiable. */
static void
expect_suffix(uint64_t size, uint64_t n)
{
	char hdr[64];
	uint64_t s = 0, l = 0;
	enum range_res r;

	snprintf(hdr, sizeof(hdr), "bytes=-%" PRIu64, n);
	r = http_range_parse(hdr, size, &s, &l);
	check_ok(r, size, s, l);
	if (n == 0 || size == 0) {
		if (r != RANGE_UNSATISFIABLE)
			abort();
	} else if (r != RANGE_OK || l != (n < size ? n : size) || s + l != size) {
		abort();
	}
}

/* Up to MAX_NUMS decimal numbers found in s, saturating like the parser. */
static unsigned
numbers(const char *s, uint64_t *v)
{
	unsigned n = 0;

	while (*s && n < MAX_NUMS) {
		uint64_t x = 0;

		if (*s < '0' || *s > '9') {
			s++;
			continue;
		}
		for (; *s >= '0' && *s <= '9'; s++) {
			unsigned d = (unsigned)(*s - '0');

			x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
		}
		v[n++] = x;
	}
	return n;
}

static void
check_date(const char *s)
{
	char buf[64];
	time_t t, t2;

	if (!http_date_parse(s, &t))
		return;
	http_date_fmt(t, buf, sizeof(buf));
	if (!http_date_parse(buf, &t2) || t2 != t) {
		fprintf(stderr, "date \"%s\" -> %lld -> \"%s\" -> %lld\n", s, (long long)t, buf,
			(long long)t2);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t fixed[] = {
		0, 1, 2, 499, 500, 501, 4096, UINT32_MAX, 1ull << 40, UINT64_MAX - 1, UINT64_MAX,
	};
	uint64_t sizes[sizeof(fixed) / sizeof(fixed[0]) + 3 * MAX_NUMS], nums[MAX_NUMS];
	unsigned n_sizes = 0, n_nums;
	char *hdr;

	hdr = malloc(size + 1);
	if (!hdr)
		return 0;
	memcpy(hdr, data, size);
	hdr[size] = '\0';

	n_nums = numbers(hdr, nums);
	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		sizes[n_sizes++] = fixed[i];
	for (unsigned i = 0; i < n_nums; i++) {
		sizes[n_sizes++] = nums[i] - 1; /* wraps to UINT64_MAX for 0: fine */
		sizes[n_sizes++] = nums[i];
		sizes[n_sizes++] = nums[i] + 1;
	}
	for (unsigned i = 0; i < n_sizes; i++) {
		uint64_t s = 0, l = 0;
		enum range_res r = http_range_parse(hdr, sizes[i], &s, &l);

		check_ok(r, sizes[i], s, l);
		if (n_nums >= 1) {
			expect_suffix(sizes[i], nums[0]);
			expect_span(sizes[i], nums[0], 0, true);
		}
		if (n_nums >= 2)
			expect_span(sizes[i], nums[0], nums[1], false);
	}
	check_date(hdr);
	if (!http_content_type(hdr))
		abort();
	free(hdr);
	return 0;
}
