/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: bytes as the value of a Range header (a C string, as
 * libmicrohttpd hands it over: a NUL ends it), interpreted by
 * http_range_parse() against boundary file sizes (0, 1, 2^32, 2^64-1 ...
 * and n-1, n, n+1 of every number in the header), with the RFC 9110
 * oracles of harness/fz_range.c; the same bytes as an If-Modified-Since /
 * If-Range date, and as a path for the Content-Type lookup.
 */
#include "control/daemon/httputil.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t fixed[] = {
		0, 1, 2, 499, 500, 501, 4096, UINT32_MAX, 1ull << 40, UINT64_MAX - 1, UINT64_MAX,
	};
	char *hdr = fz_cstr(data, size);
	uint64_t nums[4];
	unsigned n = fz_range_numbers(hdr, nums);

	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		fz_range_check(hdr, fixed[i], nums, n);
	for (unsigned i = 0; i < n; i++) /* nums[i] - 1 wraps to UINT64_MAX for 0: fine */
		for (uint64_t d = 0; d < 3; d++)
			fz_range_check(hdr, nums[i] - 1 + d, nums, n);
	fz_date_check(hdr);
	FZ_CHECK(http_content_type(hdr) != NULL);
	free(hdr);
	return 0;
}
