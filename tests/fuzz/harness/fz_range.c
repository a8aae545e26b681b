/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Range header and HTTP date oracles:
 *   - RANGE_OK only for a non-empty file, with 1 <= len and
 *     start + len <= size, computed without overflow;
 *   - the canonical forms built from the header's numbers ("bytes=a-b",
 *     "bytes=a-", "bytes=-n") give exactly what RFC 9110 14.1.1/14.1.2
 *     says, checked against the arithmetic written out here;
 *   - a date http_date_parse() accepts formats back to one it reads as
 *     the same instant (the 304 and If-Range decisions compare such dates).
 */
#include <inttypes.h>
#include <string.h>

#include "control/daemon/httputil.h"
#include "tests/fuzz/harness/fz.h"

#define MAX_NUMS 4

static void
check_ok(enum range_res r, uint64_t size, uint64_t start, uint64_t len)
{
	FZ_CHECK(r < RANGE_RES_MAX);
	if (r != RANGE_OK)
		return;
	/* a range outside the file: 206 would read past EOF */
	FZ_CHECK(size != 0 && len != 0 && start < size && len <= size - start);
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
		FZ_CHECK(r == RANGE_NONE);
	} else if (first >= size) {
		FZ_CHECK(r == RANGE_UNSATISFIABLE);
	} else {
		uint64_t end = last < size - 1 ? last : size - 1;

		FZ_CHECK(r == RANGE_OK && s == first && l == end - first + 1);
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
	if (n == 0 || size == 0)
		FZ_CHECK(r == RANGE_UNSATISFIABLE);
	else
		FZ_CHECK(r == RANGE_OK && l == (n < size ? n : size) && s + l == size);
}

void
fz_range_check(const char *hdr, uint64_t size, const uint64_t *nums, unsigned n_nums)
{
	uint64_t s = 0, l = 0;
	enum range_res r = http_range_parse(hdr, size, &s, &l);

	check_ok(r, size, s, l);
	if (n_nums >= 1) {
		expect_suffix(size, nums[0]);
		expect_span(size, nums[0], 0, true);
	}
	if (n_nums >= 2)
		expect_span(size, nums[0], nums[1], false);
}

unsigned
fz_range_numbers(const char *s, uint64_t v[MAX_NUMS])
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

void
fz_date_check(const char *s)
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
