/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Console capture (control/power/sol.h): the bounded log at its boundary
 * (max - 1, max, max + 1, one write longer than half), node names that may
 * not become paths, and captures through a fake ipmitool
 * (tests/unit/power/fake-sol.sh): the password only in the environment, a
 * `sol deactivate` before each activate, the escape "~." on stop, a dropped
 * session reconnected, owners holding one capture together.
 */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/power/sol.h"

static char dir[64];

static int
setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/bs-sol-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static off_t
fsize(const char *p)
{
	struct stat s;
	return stat(p, &s) == 0 ? s.st_size : -1;
}

static void
test_names(void **st)
{
	char p[128], n64[65];

	(void)st;
	assert_true(sol_node_ok("vm01"));
	assert_true(sol_node_ok("rack-1.node_7"));
	assert_false(sol_node_ok(""));
	assert_false(sol_node_ok(".hidden"));
	assert_false(sol_node_ok("a/b"));
	assert_false(sol_node_ok("../x"));
	assert_false(sol_node_ok("sp ace"));
	memset(n64, 'a', 64);
	n64[63] = 0;
	assert_true(sol_node_ok(n64)); /* 63: the longest */
	n64[63] = 'a';
	n64[64] = 0;
	assert_false(sol_node_ok(n64));
	assert_int_equal(sol_log_path(p, sizeof(p), "/s", "n1"), 0);
	assert_string_equal(p, "/s/console/n1.log");
	assert_int_equal(sol_log_path(p, sizeof(p), "/s", "../n1"), -EINVAL);
	assert_int_equal(sol_log_path(p, 8, "/s", "n1"), -ENAMETOOLONG);
}

/* Writes bytes numbered from *seq (as 'a' + seq % 26) so a kept tail is
 * checkable. */
static void
put(struct sol_log *l, size_t n, unsigned *seq)
{
	char b[4096];

	assert_true(n <= sizeof(b));
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + (*seq)++ % 26);
	assert_int_equal(sol_log_write(l, b, n), 0);
}

/* The file holds the stream's last `size` bytes, the stream being *seq long. */
static void
check_tail(const char *node, size_t size, unsigned seq)
{
	char b[2048];
	ssize_t n = sol_log_read(dir, node, b, sizeof(b));

	assert_int_equal(n, (ssize_t)size);
	for (size_t i = 0; i < size; i++)
		assert_int_equal(b[i], (char)('a' + (seq - size + i) % 26));
}

static void
test_bound(void **st)
{
	struct sol_log l;
	char p[128];
	unsigned seq = 0;

	(void)st;
	assert_int_equal(sol_log_open(&l, dir, "b1", 1024), 0);
	sol_log_path(p, sizeof(p), dir, "b1");
	put(&l, 1023, &seq); /* max - 1 */
	assert_int_equal(fsize(p), 1023);
	put(&l, 1, &seq); /* max: still whole */
	assert_int_equal(fsize(p), 1024);
	check_tail("b1", 1024, seq);
	put(&l, 1, &seq); /* max + 1: the newest half (512) is kept */
	assert_int_equal(fsize(p), 512);
	assert_int_equal(l.size, 512);
	check_tail("b1", 512, seq);
	put(&l, 100, &seq); /* appends again */
	assert_int_equal(fsize(p), 612);
	check_tail("b1", 612, seq);
	put(&l, 700, &seq); /* one write longer than half: its last 512 */
	assert_int_equal(fsize(p), 512);
	check_tail("b1", 512, seq);
	put(&l, 512, &seq); /* 1024 exactly */
	assert_int_equal(fsize(p), 1024);
	sol_log_close(&l);
	/* no temp file left behind */
	strcat(p, ".tmp");
	assert_int_equal(fsize(p), -1);

	/* At open: a log at the bound stays whole, one over it is cut to
	 * half the bound. */
	assert_int_equal(sol_log_open(&l, dir, "b1", 1024), 0);
	sol_log_close(&l);
	check_tail("b1", 1024, seq);
	assert_int_equal(sol_log_open(&l, dir, "b1", 1000), 0);
	sol_log_close(&l);
	check_tail("b1", 500, seq);
	char b[8];
	assert_int_equal(sol_log_read(dir, "nothing-yet", b, sizeof(b)), -ENOENT);
}

static char *
slurp(const char *path)
{
	static char b[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;

	if (fd >= 0)
		close(fd);
	b[n > 0 ? n : 0] = 0;
	return b;
}

/* Waits up to 10 s until path contains s. */
static bool
wait_for(const char *path, const char *s)
{
	for (int i = 0; i < 200; i++) {
		if (strstr(slurp(path), s))
			return true;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void
addr(struct bmc_addr *a, const char *host, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->proto = BMC_IPMI;
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
}

static void
test_capture(void **st)
{
	struct sol_opts o = { dir, FAKE_SOL, 3, 0 };
	struct pwr_cred cr = { "stay", "bsadmin", "pw-in-env-only" };
	struct bmc_addr a;
	char flog[64], clog[128];
	uint16_t port = (uint16_t)(30000 + getpid() % 20000);

	(void)st;
	snprintf(flog, sizeof(flog), "/tmp/bs-fake-sol-%u.log", port);
	unlink(flog);
	assert_int_equal(sol_start("n1", (addr(&a, "stay", port), &a), &cr, SOL_OWN_ADMIN), -ENOTCONN);
	assert_int_equal(sol_init(&o), 0);
	a.proto = BMC_REDFISH;
	assert_int_equal(sol_start("n1", &a, &cr, SOL_OWN_ADMIN), -EPROTONOSUPPORT);
	a.proto = BMC_IPMI;
	assert_int_equal(sol_start("../n1", &a, &cr, SOL_OWN_ADMIN), -EINVAL);

	/* two owners hold one capture; it runs until both let go */
	assert_int_equal(sol_start("n1", &a, &cr, SOL_OWN_AUTO), 0);
	assert_int_equal(sol_start("n1", &a, &cr, SOL_OWN_CAMPAIGN), 0);
	assert_int_equal(sol_owners("n1"), SOL_OWN_AUTO | SOL_OWN_CAMPAIGN);
	sol_log_path(clog, sizeof(clog), dir, "n1");
	assert_true(wait_for(clog, "FAKE-GUEST-MARKER"));
	/* the password reached ipmitool through its environment only */
	char *f = slurp(flog);
	assert_non_null(strstr(f, "pw=set:pw-in-env-only"));
	for (char *ln = f; (ln = strstr(ln, "argv=")); ln++) {
		char *pw = strstr(ln, " pw=");
		char *leak = strstr(ln, "pw-in-env-only");

		assert_non_null(pw);
		assert_true(leak > pw); /* only after " pw=", never in the argv */
	}
	assert_null(strstr(f, " -P "));
	assert_non_null(strstr(f, "-E"));
	assert_non_null(strstr(f, "-C 3"));
	/* a deactivate went first (a stale session refuses the activate) */
	char *d = strstr(f, "sol deactivate"), *act = strstr(f, "sol activate");
	assert_non_null(d);
	assert_non_null(act);
	assert_true(d < act);
	assert_int_equal(sol_stop("n1", SOL_OWN_ADMIN), -ENOENT);
	assert_int_equal(sol_stop("n1", SOL_OWN_AUTO), 0);
	assert_int_equal(sol_owners("n1"), SOL_OWN_CAMPAIGN);
	assert_null(strstr(slurp(clog), "bye after"));
	assert_int_equal(sol_stop("n1", SOL_OWN_CAMPAIGN), 0);
	/* stopped by ipmitool's escape, not a signal */
	assert_true(wait_for(clog, "bye after '~.'"));
	assert_true(wait_for(clog, "capture stopped"));
	assert_int_equal(sol_owners("n1"), 0);

	/* a session the BMC drops is started again, after a pause */
	snprintf(cr.host, sizeof(cr.host), "drop");
	assert_int_equal(sol_start("n2", (addr(&a, "drop", port), &a), &cr, SOL_OWN_CAMPAIGN), 0);
	sol_log_path(clog, sizeof(clog), dir, "n2");
	assert_true(wait_for(clog, "session ended (exit 1); again in 1 s"));
	assert_true(wait_for(clog, "again in 2 s"));
	assert_non_null(strstr(slurp(clog), "console: session 2"));
	sol_stop_all();
	assert_int_equal(sol_owners("n2"), 0);
	unlink(flog);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_capture),
	};
	return cmocka_run_group_tests(t, setup, teardown);
}
