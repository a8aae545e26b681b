/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Console capture (control/power/sol.h): the bounded log at its boundary
 * (max - 1, max, max + 1, one write longer than half), node names that may
 * not become paths, and captures through a fake ipmitool
 * (tests/unit/power/fake-sol.sh): the password only in the environment, a
 * `sol deactivate` before each activate, the escape "~." on stop, a dropped
 * session reconnected, owners holding one capture together; why a session
 * ended (ipmitool's own lines, one per case) and the backoff; a BMC that
 * refuses SOL tried once, not again, until sol_start.
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

/* ipmitool 1.8.19's output, as it prints it, for each case of sol_why.c;
 * the first two are OpenIPMI ipmi_sim's answers (no `sol` line; `sol set
 * enabled false`), the noise lines included. */
static void
test_classify(void **st)
{
	static const struct {
		const char *out;
		enum sol_end end;
		const char *why; /* a substring of the reason; NULL: none */
	} t[] = {
		{ "Error activating SOL payload: Invalid command\n", SOL_END_REFUSED, "no SOL" },
		{ "Info: SOL parameter 'Authentication (2)' not supported\n"
		  "Info: SOL parameter 'Payload Port (8)' not supported - defaulting to 29623\n"
		  "Info: SOL payload disabled\n", SOL_END_REFUSED, "SOL disabled" },
		{ "Error activating SOL payload: Insufficient privilege level\n", SOL_END_REFUSED,
		  "privilege" },
		{ "Error activating SOL payload: Invalid data field in request\n", SOL_END_REFUSED,
		  "no SOL" },
		{ "Error activating SOL payload: Invalid command on LUN\n", SOL_END_REFUSED, "no SOL" },
		{ "Error activating SOL payload: Cannot execute command, command disabled\n",
		  SOL_END_REFUSED, "firmware" },
		{ "Info: cannot activate SOL payload with encryption\n", SOL_END_REFUSED, "encrypted" },
		{ "Info: cannot activate SOL payload without encryption\n", SOL_END_REFUSED,
		  "requires" },
		{ "Error: BMC requests SOL session on different port\n", SOL_END_REFUSED, "port" },
		{ "Info: SOL payload already active on another session\n", SOL_END_BUSY, "another" },
		{ "Info: SOL payload activation limit reached\n", SOL_END_BUSY, "other sessions" },
		{ "Error: Unable to establish IPMI v2 / RMCP+ session\n", SOL_END_TRANSIENT,
		  "no session" },
		{ "Error activating SOL payload: Node busy\n", SOL_END_TRANSIENT, NULL },
		{ "Error activating SOL payload: Unspecified error\n", SOL_END_TRANSIENT, NULL },
		{ "Error: No response activating SOL payload\n", SOL_END_TRANSIENT, NULL },
		{ "", SOL_END_TRANSIENT, NULL },
		/* the session ran: the console that follows is the node's, even
		 * when it prints ipmitool's words */
		{ "[SOL Session operational.  Use ~? for help]\r\nSOL payload disabled\r\n",
		  SOL_END_TRANSIENT, NULL },
		/* "already de-activated" (deactivate) is not "disabled" */
		{ "Info: SOL payload already de-activated\n", SOL_END_TRANSIENT, NULL },
	};
	const char *why;

	(void)st;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum sol_end e = sol_classify(t[i].out, strlen(t[i].out), &why);

		if (e != t[i].end || (t[i].why ? !strstr(why, t[i].why) : why[0] != 0))
			fail_msg("case %zu: %s (%s), want %s (%s)", i, sol_end_name(e), why,
				 sol_end_name(t[i].end), t[i].why ? t[i].why : "");
	}
	/* len bounds the read: a line cut by it does not match */
	const char *s = "Info: SOL payload disabled";
	assert_int_equal(sol_classify(s, strlen(s) - 1, &why), SOL_END_TRANSIENT);
	assert_int_equal(sol_classify(s, strlen(s), &why), SOL_END_REFUSED);
	assert_string_equal(sol_end_name(SOL_END_MAX), "?");
}

static void
test_backoff(void **st)
{
	/* transient and busy: 1, 2, 4 ... 30, 30 s; a session of 30 s or more
	 * starts again at 1 s; 29.999 s does not */
	static const uint32_t want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
	uint32_t cur = 0;

	(void)st;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(sol_backoff_next(&cur, i % 2 ? SOL_END_BUSY : SOL_END_TRANSIENT, 10),
				 want[i]);
	assert_int_equal(sol_backoff_next(&cur, SOL_END_TRANSIENT, SOL_STABLE_MS - 1), 30000);
	assert_int_equal(sol_backoff_next(&cur, SOL_END_TRANSIENT, SOL_STABLE_MS), 1000);
	assert_int_equal(sol_backoff_next(&cur, SOL_END_TRANSIENT, 0), 2000);
	/* refused: never again, and the backoff state is left as it was */
	assert_int_equal(sol_backoff_next(&cur, SOL_END_REFUSED, 0), 0);
	assert_int_equal(sol_backoff_next(&cur, SOL_END_REFUSED, SOL_STABLE_MS), 0);
	assert_int_equal(cur, 4000);
	/* a state that lost its way (0, below the minimum) starts at 1 s */
	cur = 7;
	assert_int_equal(sol_backoff_next(&cur, SOL_END_TRANSIENT, 0), 1000);
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

/* Activates in the fake's log of port. */
static int
activates(uint16_t port)
{
	char flog[64];
	int n = 0;

	snprintf(flog, sizeof(flog), "/tmp/bs-fake-sol-%u.log", port);
	for (const char *p = slurp(flog); (p = strstr(p, "sol activate")); p++)
		n++;
	return n;
}

/* A BMC that refuses SOL is tried once; one whose SOL is busy again and
 * again, with backoff.  Before sol_why.c both were retried (1, 2, 4 s...). */
static void
test_refused(void **st)
{
	struct sol_opts o = { dir, FAKE_SOL, 0, 0 };
	struct pwr_cred cr = { "nosol", "bsadmin", "pw" };
	struct bmc_addr a;
	char flog[2][64], nlog[128], blog[128], why[96];
	uint16_t port = (uint16_t)(30000 + (getpid() + 1) % 20000);

	(void)st;
	for (int i = 0; i < 2; i++) {
		snprintf(flog[i], sizeof(flog[i]), "/tmp/bs-fake-sol-%u.log", port + i);
		unlink(flog[i]);
	}
	assert_int_equal(sol_status("r1", why, sizeof(why)), SOL_ST_NONE);
	assert_string_equal(why, "");
	assert_int_equal(sol_init(&o), 0);
	assert_int_equal(sol_start("r1", (addr(&a, "nosol", port), &a), &cr, SOL_OWN_CAMPAIGN), 0);
	snprintf(cr.host, sizeof(cr.host), "busy");
	assert_int_equal(sol_start("b1", (addr(&a, "busy", (uint16_t)(port + 1)), &a), &cr,
				   SOL_OWN_AUTO), 0);
	sol_log_path(nlog, sizeof(nlog), dir, "r1");
	sol_log_path(blog, sizeof(blog), dir, "b1");
	assert_true(wait_for(nlog, "[bootstorm sol: the BMC refuses SOL: SOL disabled on the BMC "
				   "(exit 1); not tried again]"));
	assert_int_equal(sol_status("r1", why, sizeof(why)), SOL_ST_REFUSED);
	assert_string_equal(why, "SOL disabled on the BMC");
	/* held still: console_tick does not start it again every second */
	assert_int_equal(sol_owners("r1"), SOL_OWN_CAMPAIGN);
	/* the busy one goes on: 1 s, 2 s, then its third end (~3 s in) */
	assert_true(wait_for(blog, "again in 1 s: SOL in use by another session"));
	assert_true(wait_for(blog, "again in 4 s: SOL in use by another session"));
	enum sol_state bs = sol_status("b1", why, sizeof(why));
	assert_true(bs == SOL_ST_WAITING || bs == SOL_ST_RUNNING);
	assert_string_equal(why, "SOL in use by another session");
	assert_int_equal(activates((uint16_t)(port + 1)), 3);
	/* meanwhile the refusing BMC saw one activate, not three */
	assert_int_equal(activates(port), 1);
	assert_null(strstr(slurp(nlog), "again in"));

	/* a new start (a campaign's retry) tries once more */
	assert_int_equal(sol_start("r1", (addr(&a, "nosol", port), &a), &cr, SOL_OWN_ADMIN), 0);
	for (int i = 0; i < 200 && activates(port) < 2; i++)
		usleep(50 * 1000);
	assert_int_equal(activates(port), 2);
	for (int i = 0; i < 200 && sol_status("r1", NULL, 0) != SOL_ST_REFUSED; i++)
		usleep(50 * 1000);
	assert_int_equal(sol_status("r1", NULL, 0), SOL_ST_REFUSED);
	assert_int_equal(sol_owners("r1"), SOL_OWN_CAMPAIGN | SOL_OWN_ADMIN);
	/* a refused capture stops as any other */
	assert_int_equal(sol_stop("r1", SOL_OWN_CAMPAIGN), 0);
	assert_int_equal(sol_stop("r1", SOL_OWN_ADMIN), 0);
	assert_true(wait_for(nlog, "capture stopped"));
	assert_int_equal(sol_status("r1", NULL, 0), SOL_ST_NONE);
	assert_string_equal(sol_state_name(SOL_ST_REFUSED), "refused");
	sol_stop_all();
	for (int i = 0; i < 2; i++)
		unlink(flog[i]);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(t, setup, teardown);
}
