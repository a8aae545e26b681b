/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/power and the bmc: inventory key: URL forms, check-config
 * messages, the credentials file's permissions, and pwr_exec against a
 * fake ipmitool (tests/data/power/fake-ipmitool.sh): the password never in
 * argv, bounded retries with backoff, a hung BMC killed at the timeout.
 */
#include <errno.h>
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

#include "conf/cfg.h"
#include "conf/cfg_bmc.h"
#include "control/power/power.h"
#include "util/bs_time.h"

static void
test_bmc_url(void **st)
{
	(void)st;
	struct bmc_addr a;
	const char *why = NULL;
	assert_int_equal(cfgp_bmc_url("ipmi://10.2.0.7", &a, &why), 0);
	assert_int_equal(a.proto, BMC_IPMI);
	assert_string_equal(a.host, "10.2.0.7");
	assert_int_equal(a.port, 623);
	assert_int_equal(cfgp_bmc_url("ipmi://bmc-n1.lab:6230", &a, &why), 0);
	assert_int_equal(a.port, 6230);
	assert_int_equal(cfgp_bmc_url("redfish://bmc1/System.Embedded.1", &a, &why), 0);
	assert_int_equal(a.proto, BMC_REDFISH);
	assert_int_equal(a.port, 443);
	assert_string_equal(a.system_id, "System.Embedded.1");
	static const char *const bad[] = {
		"http://bmc1", "ipmi://", "ipmi://root:calvin@bmc1", "ipmi://bmc1:0",
		"ipmi://bmc1:70000", "ipmi://bmc1/x", "redfish://bmc1/", "ipmi://bm c1",
		"ipmi://bmc1:623x", "redfish://bmc1/a/b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(cfgp_bmc_url(bad[i], &a, &why), -EINVAL);
		assert_non_null(why);
	}
}

static void
test_bmc_config(void **st)
{
	(void)st;
	static const char y[] = "server: {ip: 10.1.0.1/16}\n"
				"power: {credentials_file: /etc/bootstorm/bmc.cred, max_in_flight: 20}\n"
				"nodes:\n"
				"  - {name: a1, mac: '52:54:00:00:00:01', bmc: 'ipmi://10.9.0.1'}\n"
				"  - {range: 'r[1-3]', mac: '52:54:00:00:01:01', bmc: 'ipmi://{name}-bmc'}\n";
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("/nonexistent/x.yaml", y, sizeof(y) - 1, &e);
	assert_non_null(c);
	assert_int_equal(e.n, 0);
	assert_string_equal(cfg_node_by_name(c, "a1")->bmc, "ipmi://10.9.0.1");
	assert_string_equal(cfg_node_by_name(c, "r2")->bmc, "ipmi://r2-bmc");
	assert_string_equal(c->power_cred_file, "/etc/bootstorm/bmc.cred");
	assert_int_equal(c->power_max_in_flight, 20);
	assert_int_equal(c->power_on_rate, 5);
	cfg_free(c);
	cfg_errs_free(&e);

	static const char b[] = "server: {ip: 10.1.0.1/16}\n"
				"nodes:\n"
				"  - name: a1\n"
				"    mac: '52:54:00:00:00:01'\n"
				"    bmc: 'ipmi://admin:pw@10.9.0.1'\n";
	struct cfg_errs e2 = { 0 };
	c = cfg_load_mem("/nonexistent/x.yaml", b, sizeof(b) - 1, &e2);
	assert_true(!c || e2.n);
	assert_true(e2.n >= 1);
	assert_int_equal(e2.v[0].loc.line, 5);
	assert_int_equal(e2.v[0].loc.col, 10);
	assert_non_null(strstr(e2.v[0].msg, "credentials do not belong in the URL"));
	cfg_free(c);
	cfg_errs_free(&e2);
}

static void
write_file(const char *p, const char *s, mode_t m)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
	assert_int_equal(chmod(p, m), 0);
}

static void
test_creds(void **st)
{
	(void)st;
	char p[] = "/tmp/bs-cred-XXXXXX";
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	struct pwr_creds c;
	unsigned bad;
	write_file(p, "# bmcs\n\n10.9.0.1 admin pass word \nbmc2\tops\tx\n", 0644);
	assert_int_equal(pwr_creds_load(p, &c, &bad), -EPERM);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(pwr_creds_load(p, &c, &bad), -EPERM);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(pwr_creds_load(p, &c, &bad), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(pwr_creds_find(&c, "10.9.0.1")->pass, "pass word");
	assert_string_equal(pwr_creds_find(&c, "bmc2")->user, "ops");
	assert_null(pwr_creds_find(&c, "bmc3"));
	pwr_creds_free(&c);
	write_file(p, "ok u p\nonlyhost\n", 0600);
	assert_int_equal(pwr_creds_load(p, &c, &bad), -EBADMSG);
	assert_int_equal(bad, 2);
	unlink(p);
}

static const struct pwr_cred CRED = { "x", "bsadmin", "s3cr3t-pw" };

static void
fake_addr(struct bmc_addr *a, const char *host, uint16_t port, char *log, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->proto = BMC_IPMI;
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
	snprintf(log, cap, "/tmp/bs-fake-ipmi-%u.log", port);
	unlink(log);
}

static int
count_lines(const char *p, const char *needle)
{
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	char l[1024];
	int n = 0;
	while (fgets(l, sizeof(l), f))
		if (!needle || strstr(l, needle))
			n++;
	fclose(f);
	return n;
}

static void
test_exec(void **st)
{
	(void)st;
	struct pwr_opts o = { 2000, 2, 50, POWER_DATA "/fake-ipmitool.sh", NULL, 0 };
	struct bmc_addr a;
	struct pwr_result r;
	char log[64];
	uint16_t port = (uint16_t)(30000 + getpid() % 20000);

	fake_addr(&a, "ok", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_STATUS, &o, &r), 0);
	assert_true(r.on);
	assert_int_equal(r.tries, 1);
	/* The password reached the tool through its environment only. */
	assert_int_equal(count_lines(log, "pw=set:s3cr3t-pw"), 1);
	assert_int_equal(count_lines(log, "argv=-I lanplus -H ok"), 1);
	assert_int_equal(count_lines(log, "-E"), 1);
	FILE *f = fopen(log, "r");
	char l[1024];
	assert_non_null(fgets(l, sizeof(l), f));
	fclose(f);
	*strstr(l, " pw=") = 0;
	assert_null(strstr(l, "s3cr3t"));
	assert_non_null(strstr(l, "chassis power status"));
	assert_null(strstr(l, "-C "));
	/* A fixed cipher suite skips ipmitool's Get Channel Cipher Suites. */
	o.cipher = 17;
	fake_addr(&a, "ok", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_STATUS, &o, &r), 0);
	assert_int_equal(count_lines(log, "-R 2 -C 17 chassis power status"), 1);
	o.cipher = 0;

	/* boot on an off machine: status then on; on a running one: cycle. */
	fake_addr(&a, "off", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_BOOT, &o, &r), 0);
	assert_false(r.on);
	assert_int_equal(count_lines(log, "chassis power on"), 1);
	fake_addr(&a, "ok", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_BOOT, &o, &r), 0);
	assert_int_equal(count_lines(log, "chassis power cycle"), 1);
	fake_addr(&a, "ok", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_PXE_ONCE, &o, &r), 0);
	assert_int_equal(count_lines(log, "chassis bootdev pxe"), 1);

	/* A failing BMC: 1 + retries tries, backoff 50 + 100 ms between. */
	fake_addr(&a, "fail", port, log, sizeof(log));
	uint64_t t0 = bs_mono_ms();
	assert_int_equal(pwr_exec(&a, &CRED, PWR_ON, &o, &r), -EIO);
	uint64_t dt = bs_mono_ms() - t0;
	assert_int_equal(r.tries, 3);
	assert_int_equal(count_lines(log, NULL), 3);
	assert_true(dt >= 150);
	assert_string_equal(r.err, "on: Error: Unable to establish IPMI v2 / RMCP+ session");

	/* A refused login: not retried (BMCs lock accounts out). */
	fake_addr(&a, "badauth", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_STATUS, &o, &r), -EACCES);
	assert_int_equal(r.tries, 1);
	assert_int_equal(count_lines(log, NULL), 1);
	assert_string_equal(r.err, "status: login refused by the BMC (user or password), not retried");

	/* A flaky one: the retry succeeds. */
	fake_addr(&a, "flaky", port, log, sizeof(log));
	assert_int_equal(pwr_exec(&a, &CRED, PWR_OFF, &o, &r), 0);
	assert_int_equal(r.tries, 2);

	/* A hung one: killed at each try's timeout, not waited for. */
	o.timeout_ms = 300;
	o.retries = 1;
	fake_addr(&a, "hang", port, log, sizeof(log));
	t0 = bs_mono_ms();
	assert_int_equal(pwr_exec(&a, &CRED, PWR_STATUS, &o, &r), -ETIMEDOUT);
	dt = bs_mono_ms() - t0;
	assert_int_equal(r.tries, 2);
	assert_true(dt < 3000);
	assert_string_equal(r.err, "status: no answer within 300 ms");

	/* No credentials, Redfish: refused before any child. */
	assert_int_equal(pwr_exec(&a, NULL, PWR_STATUS, &o, &r), -ENOKEY);
	a.proto = BMC_NONE;
	assert_int_equal(pwr_exec(&a, &CRED, PWR_STATUS, &o, &r), -EPROTONOSUPPORT);
	unlink(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bmc_url),
		cmocka_unit_test(test_bmc_config),
		cmocka_unit_test(test_creds),
		cmocka_unit_test(test_exec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
