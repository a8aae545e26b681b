/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: bytes as an HTTP request path (what libmicrohttpd hands
 * route() after %-decoding: a C string, a NUL ends it) resolved by
 * http_open_beneath() below a root full of traps (harness/fz_http.c, with
 * the checks a result must pass), once with openat2 and once through the
 * realpath fallback; no descriptor may leak, whatever the outcome.
 */
#include "control/daemon/httputil.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int root = fz_http_root(), fd = -1, low = fz_lowest_free_fd();
	char *path = fz_cstr(data, size);
	struct stat st;
	int rc = http_open_beneath(root, path, &fd, &st);
	ino_t a = fz_http_check(path, rc, fd, &st), b;

	/* The fallback may allow more (an absolute link back into the root),
	 * never less than RESOLVE_BENEATH, and opens the same file. */
	if (fz_http_fallback(path, &b))
		FZ_CHECK(!a || a == b);
	FZ_CHECK(fz_lowest_free_fd() == low); /* a descriptor leaked */
	free(path);
	return 0;
}
