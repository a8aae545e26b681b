/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A campaign over control/power (camp_bmc): 12 nodes from a real config,
 * BMC operations run on threads through a fake ipmitool
 * (tests/data/power/fake-ipmitool.sh): the good BMCs' nodes end done, a
 * failing BMC's node fails with the BMC's own words, a node with no bmc:
 * fails at once; max_in_flight held throughout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/power/camp_bmc.h"
#include "util/bs_time.h"

static void
test_campaign_over_bmcs(void **st)
{
	(void)st;
	unsigned port = 30000 + (unsigned)getpid() % 20000;
	char y[1024];
	snprintf(y, sizeof(y),
		 "server: {ip: 10.1.0.1/16}\n"
		 "nodes:\n"
		 "  - {range: 'a[01-10]', mac: '52:54:00:00:01:01', bmc: 'ipmi://ok:%u'}\n"
		 "  - {name: b1, mac: '52:54:00:00:02:01', bmc: 'ipmi://fail:%u'}\n"
		 "  - {name: c1, mac: '52:54:00:00:03:01'}\n",
		 port, port);
	struct cfg_errs e = { 0 };
	struct cfg *cfg = cfg_load_mem("/nonexistent/x.yaml", y, strlen(y), &e);
	assert_non_null(cfg);
	assert_int_equal(e.n, 0);
	struct pwr_cred cv[2] = { { "ok", "u", "p" }, { "fail", "u", "p" } };
	struct pwr_creds cr = { cv, 2 };
	struct pwr_opts o = { 2000, 1, 20, POWER_DATA "/fake-ipmitool.sh", NULL, 0 };
	struct camp_bmc b;
	camp_bmc_init(&b, cfg, &cr, &o);

	const char *names[12];
	for (size_t i = 0; i < 12; i++)
		names[i] = cfg->nodes[i].name;
	struct camp_params p = { .max_in_flight = 4, .power_on_rate = 100, .burst = 1,
				 .dhcp_deadline_ms = 60000, .max_repower = 1,
				 .install_deadline_ms = 60000, .power = true };
	struct camp_env env = { &b, NULL, camp_bmc_power, NULL };
	struct campaign c;
	assert_int_equal(camp_init(&c, "t", &p, &env, names, 12, bs_real_ms()), 0);
	uint64_t end = bs_mono_ms() + 30000;
	while (!camp_finished(&c) && bs_mono_ms() < end) {
		uint64_t now = bs_real_ms();
		camp_bmc_drain(&b, &c, now);
		/* The node "boots": first DHCP, then the installer's done. */
		for (uint32_t i = 0; i < c.n; i++)
			if (c.nodes[i].stage == CS_WAIT_DHCP)
				camp_on_dhcp(&c, i, now);
			else if (c.nodes[i].stage == CS_INSTALLING)
				camp_on_report(&c, i, true, NULL, now);
		camp_tick(&c, now);
		assert_true(c.in_flight <= 4);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	camp_bmc_fini(&b);
	assert_true(camp_finished(&c));
	assert_int_equal(c.n_stage[CS_DONE], 10);
	int64_t i = camp_find(&c, "b1");
	assert_int_equal(c.nodes[i].stage, CS_FAILED);
	assert_string_equal(c.nodes[i].reason,
			    "bmc next-boot pxe failed: pxe: Error: Unable to establish IPMI v2 / "
			    "RMCP+ session at stage powering");
	i = camp_find(&c, "c1");
	assert_string_equal(c.nodes[i].reason, "bmc: cannot start next-boot pxe at stage powering");
	/* Each good node: bootdev pxe, then status + on/cycle. */
	char log[64], l[512];
	snprintf(log, sizeof(log), "/tmp/bs-fake-ipmi-%u.log", port);
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	int pxe = 0, cyc = 0;
	while (fgets(l, sizeof(l), f)) {
		if (strstr(l, "-H ok") && strstr(l, "bootdev pxe"))
			pxe++;
		if (strstr(l, "-H ok") && strstr(l, "power cycle"))
			cyc++;
	}
	fclose(f);
	unlink(log);
	assert_int_equal(pxe, 10);
	assert_int_equal(cyc, 10);
	camp_free(&c);
	cfg_free(cfg);
	cfg_errs_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_campaign_over_bmcs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
