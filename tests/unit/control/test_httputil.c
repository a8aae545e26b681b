/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP helpers: the Range table (RFC 9110 14.1/14.2), path resolution that
 * must never leave the root, content types, dates. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/daemon/httpsend.h"
#include "control/daemon/httputil.h"

static void
test_range_table(void **state)
{
	/* size 1000 unless stated: boundaries n-1, n, n+1 around the end */
	static const struct {
		const char *hdr;
		uint64_t size;
		enum range_res res;
		uint64_t start, len;
	} t[] = {
		{ NULL, 1000, RANGE_NONE, 0, 0 },
		{ "bytes=0-0", 1000, RANGE_OK, 0, 1 },
		{ "bytes=0-999", 1000, RANGE_OK, 0, 1000 },
		{ "bytes=0-1000", 1000, RANGE_OK, 0, 1000 },	   /* last-pos clamped */
		{ "bytes=0-99999999999999999999999", 1000, RANGE_OK, 0, 1000 }, /* saturates */
		{ "bytes=998-", 1000, RANGE_OK, 998, 2 },
		{ "bytes=999-", 1000, RANGE_OK, 999, 1 },
		{ "bytes=1000-", 1000, RANGE_UNSATISFIABLE, 0, 0 }, /* first-pos == size */
		{ "bytes=1001-2000", 1000, RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=99999999999999999999999-", 1000, RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=-1", 1000, RANGE_OK, 999, 1 },
		{ "bytes=-999", 1000, RANGE_OK, 1, 999 },
		{ "bytes=-1000", 1000, RANGE_OK, 0, 1000 },
		{ "bytes=-1001", 1000, RANGE_OK, 0, 1000 },	   /* suffix longer than file */
		{ "bytes=-0", 1000, RANGE_UNSATISFIABLE, 0, 0 },   /* 14.1.2 */
		{ "bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0 },	   /* empty file */
		{ "bytes=-5", 0, RANGE_UNSATISFIABLE, 0, 0 },
		{ "BYTES=1-2", 1000, RANGE_OK, 1, 2 },		   /* unit is case-insensitive */
		{ " bytes= 5-9 ", 1000, RANGE_OK, 5, 5 },	   /* OWS */
		/* malformed or unsupported: ignored (200 with the whole file) */
		{ "bytes=5-4", 1000, RANGE_NONE, 0, 0 },	   /* last < first */
		{ "bytes=0-1,5-6", 1000, RANGE_NONE, 0, 0 },	   /* multiple ranges */
		{ "bytes=", 1000, RANGE_NONE, 0, 0 },
		{ "bytes=-", 1000, RANGE_NONE, 0, 0 },
		{ "bytes=a-b", 1000, RANGE_NONE, 0, 0 },
		{ "bytes=1-2x", 1000, RANGE_NONE, 0, 0 },
		{ "bytes=+1-2", 1000, RANGE_NONE, 0, 0 },
		{ "bytes=-1-2", 1000, RANGE_NONE, 0, 0 },
		{ "bytes 0-1", 1000, RANGE_NONE, 0, 0 },
		{ "items=0-1", 1000, RANGE_NONE, 0, 0 },
		{ "", 1000, RANGE_NONE, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t s = 77, l = 77;
		enum range_res r = http_range_parse(t[i].hdr, t[i].size, &s, &l);

		if (r != t[i].res)
			fail_msg("'%s' size %llu: got %d want %d", t[i].hdr ? t[i].hdr : "(null)",
				 (unsigned long long)t[i].size, r, t[i].res);
		if (r == RANGE_OK && (s != t[i].start || l != t[i].len))
			fail_msg("'%s': got %llu+%llu want %llu+%llu", t[i].hdr, (unsigned long long)s,
				 (unsigned long long)l, (unsigned long long)t[i].start,
				 (unsigned long long)t[i].len);
	}
}

static char root[64], outside[64];
static int root_fd = -1;

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup_tree(void **state)
{
	char p[256];

	(void)state;
	snprintf(outside, sizeof(outside), "/tmp/bs-out-XXXXXX");
	snprintf(root, sizeof(root), "/tmp/bs-root-XXXXXX");
	assert_non_null(mkdtemp(outside));
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/secret", outside);
	put(p, "secret\n");
	snprintf(p, sizeof(p), "%s/sub", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sub/file.txt", root);
	put(p, "inside\n");
	snprintf(p, sizeof(p), "%s/a b.rpm", root);
	put(p, "pkg\n");
	snprintf(p, sizeof(p), "%s/abs-link", root);
	symlink("/etc/passwd", p);
	snprintf(p, sizeof(p), "%s/climb-link", root);
	{
		char target[128];

		snprintf(target, sizeof(target), "../%s/secret", strrchr(outside, '/') + 1);
		symlink(target, p);
	}
	snprintf(p, sizeof(p), "%s/sub/inner-link", root);
	symlink("file.txt", p);
	snprintf(p, sizeof(p), "%s/sub/up-inside", root);
	symlink("../a b.rpm", p); /* climbs, but stays inside the root */
	snprintf(p, sizeof(p), "%s/fifo", root);
	mkfifo(p, 0644);
	root_fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(root_fd >= 0);
	return 0;
}

static int
teardown_tree(void **state)
{
	char cmd[200];

	(void)state;
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_path_resolution(void **state)
{
	char escape[128];
	static const struct {
		const char *path;
		int rc;
	} t[] = {
		{ "/sub/file.txt", 0 },
		{ "sub/file.txt", 0 },
		{ "//sub///file.txt", 0 },
		{ "/a b.rpm", 0 },
		{ "/sub/inner-link", 0 },
		{ "/sub/up-inside", 0 },
		{ "/sub/./file.txt", 0 },
		{ "/nope", -ENOENT },
		{ "/sub/file.txt/x", -ENOTDIR },
		{ "/", -EISDIR },
		{ "/sub", -EISDIR },
		{ "/sub/", -EISDIR },
		{ "/..", -EACCES },
		{ "/../etc/passwd", -EACCES },
		{ "/sub/../../etc/passwd", -EACCES },
		{ "/sub/../sub/file.txt", -EACCES },	/* any ".." is refused */
		{ "/%2e%2e/etc/passwd", -EACCES },	/* still encoded */
		{ "/%2E%2e/etc/passwd", -EACCES },
		{ "/.%2e/etc/passwd", -EACCES },
		{ "/sub\\..\\..\\etc", -EACCES },
		{ "/abs-link", -EACCES },		/* absolute symlink */
		{ "/climb-link", -EACCES },		/* relative symlink out of the root */
		{ "/fifo", -EACCES },			/* not a regular file; must not block */
		{ "/...", -ENOENT },			/* three dots is a name */
		{ "/..x", -ENOENT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct stat st;
		int fd = -1;
		int rc = http_open_beneath(root_fd, t[i].path, &fd, &st);

		if (rc != t[i].rc)
			fail_msg("'%s': got %d (%s) want %d", t[i].path, rc, strerror(-rc), t[i].rc);
		if (rc == 0) {
			assert_true(S_ISREG(st.st_mode));
			close(fd);
		}
	}
	/* an absolute path to a real file outside: still relative to the root */
	snprintf(escape, sizeof(escape), "%s/secret", outside);
	{
		struct stat st;
		int fd;

		assert_int_equal(http_open_beneath(root_fd, escape, &fd, &st), -ENOENT);
	}
}

static void
test_dotdot(void **state)
{
	(void)state;
	assert_true(http_path_has_dotdot(".."));
	assert_true(http_path_has_dotdot("/a/../b"));
	assert_true(http_path_has_dotdot("/a/.."));
	assert_true(http_path_has_dotdot("%2e%2e"));
	assert_true(http_path_has_dotdot("/x/%2e./y"));
	assert_false(http_path_has_dotdot("/a/b"));
	assert_false(http_path_has_dotdot("/a/.../b"));
	assert_false(http_path_has_dotdot("/a/..b/c"));
	assert_false(http_path_has_dotdot("/a/%2e%2e%2e"));
	assert_false(http_path_has_dotdot(""));
}

static void
test_content_type(void **state)
{
	(void)state;
	assert_string_equal(http_content_type("/r/x.rpm"), "application/x-rpm");
	assert_string_equal(http_content_type("/r/repomd.XML"), "application/xml");
	assert_string_equal(http_content_type("/r/vmlinuz"), "application/octet-stream");
	assert_string_equal(http_content_type("/r.d/vmlinuz"), "application/octet-stream");
	assert_string_equal(http_content_type("/r/a.ks"), "text/plain; charset=utf-8");
	assert_string_equal(http_content_type("/r/x."), "application/octet-stream");
}

static void
test_dates(void **state)
{
	char buf[40];
	time_t t;

	(void)state;
	http_date_fmt(784111777, buf, sizeof(buf));
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110 5.6.7 example */
	assert_true(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	assert_int_equal(t, 784111777);
	assert_false(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	assert_false(http_date_parse("garbage", &t));
	assert_false(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT trailing", &t));
}

/* Wide sendfile calls (httpsend.h): never past the body's end, never the
 * body's last n bytes (libmicrohttpd's own last call pushes the corked
 * tail), never narrower than asked, unregistered fds unchanged. */
static void
test_sendfile_widen(void **state)
{
	const size_t K = 128u << 10, W = 2u << 20;

	(void)state;
	assert_int_equal(http_send_widen(K, 0, 0, W), K);		/* not registered */
	assert_int_equal(http_send_widen(K, 5000, 4000, W), K);		/* stale: past end */
	assert_int_equal(http_send_widen(K, 0, 64u << 20, W), W);	/* middle of a big body */
	assert_int_equal(http_send_widen(K, 100, 100 + (64u << 20), W), W); /* Range at an offset */
	assert_int_equal(http_send_widen(K, 0, W + K, W), W);		/* leaves exactly K */
	assert_int_equal(http_send_widen(K, 0, W, W), W - K);		/* leaves K, not 0 */
	assert_int_equal(http_send_widen(K, 0, 2 * K + 2, W), K + 2);	/* leaves K */
	assert_int_equal(http_send_widen(K, 0, 2 * K + 1, W), K);	/* too little to widen */
	assert_int_equal(http_send_widen(K, 0, 2 * K, W), K);
	assert_int_equal(http_send_widen(1000, 0, 1000, W), 1000);	/* the last call itself */
	assert_int_equal(http_send_widen(0, 0, 1u << 30, W), 0);
	assert_int_equal(http_send_widen(4u << 20, 0, 1u << 30, W), 4u << 20); /* never narrower */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_table),
		cmocka_unit_test_setup_teardown(test_path_resolution, setup_tree, teardown_tree),
		cmocka_unit_test(test_dotdot),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_sendfile_widen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
