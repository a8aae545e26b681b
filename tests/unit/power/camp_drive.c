/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Drives one reimage campaign over real BMCs for tests/e2e/t_power_campaign.sh
 * until the lifecycle/daemon wiring exists: every node of CONFIG, BMC
 * operations through control/power (camp_bmc), the campaign saved to STATE
 * after every step and resumed from it when it exists.  A node "is seen on
 * DHCP" when the file SEEN_DIR/<node> exists (the test plays the nodes);
 * its installer then reports done at once.  Prints one line per node at
 * the end: "name stage attempts reason".
 *   camp_drive CONFIG STATE SEEN_DIR MAX_IN_FLIGHT RATE DHCP_MS MAX_REPOWER [STOP_AFTER_MS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/power/camp_bmc.h"
#include "util/bs_time.h"

int
main(int argc, char **argv)
{
	if (argc < 8) {
		fprintf(stderr, "usage: camp_drive CONFIG STATE SEEN_DIR MAX_IN_FLIGHT RATE DHCP_MS "
				"MAX_REPOWER [STOP_AFTER_MS]\n");
		return 2;
	}
	struct cfg_errs e = { 0 };
	struct cfg *cfg = cfg_load(argv[1], &e);
	if (!cfg || e.n) {
		cfg_errs_print(&e, stderr);
		return 2;
	}
	struct pwr_creds cr;
	unsigned bad;
	int rc = pwr_creds_load(cfg->power_cred_file, &cr, &bad);
	if (rc < 0) {
		fprintf(stderr, "credentials: %s\n", strerror(-rc));
		return 2;
	}
	struct pwr_opts o = { cfg->power_timeout_ms, cfg->power_retries, 200, NULL,
			      cfg->power_redfish_ca, cfg->power_ipmi_cipher };
	struct camp_bmc b;
	camp_bmc_init(&b, cfg, &cr, &o);
	struct camp_env env = { &b, NULL, camp_bmc_power, NULL };
	struct campaign c;
	if (access(argv[2], F_OK) == 0) {
		rc = camp_load(&c, argv[2], &env);
		printf("resumed: %u nodes, %u in flight, %u done\n", c.n, c.in_flight,
		       c.n_stage[CS_DONE]);
	} else {
		const char **names = calloc(cfg->n_nodes, sizeof(*names));
		for (size_t i = 0; i < cfg->n_nodes; i++)
			names[i] = cfg->nodes[i].name;
		struct camp_params p = {
			.max_in_flight = (uint32_t)atoi(argv[4]), .power_on_rate = atof(argv[5]),
			.burst = 1, .dhcp_deadline_ms = strtoull(argv[6], NULL, 10),
			.max_repower = (uint32_t)atoi(argv[7]), .install_deadline_ms = 600000,
			.power = true,
		};
		rc = camp_init(&c, "e2e", &p, &env, names, (uint32_t)cfg->n_nodes, bs_real_ms());
		free(names);
	}
	if (rc < 0) {
		fprintf(stderr, "campaign: %s\n", strerror(-rc));
		return 1;
	}
	fflush(stdout);
	uint64_t stop = argc > 8 ? bs_mono_ms() + strtoull(argv[8], NULL, 10) : 0;
	uint32_t max_seen = 0;
	while (!camp_finished(&c)) {
		uint64_t now = bs_real_ms();
		camp_bmc_drain(&b, &c, now);
		for (uint32_t i = 0; i < c.n; i++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[3], c.nodes[i].name);
			if ((c.nodes[i].stage == CS_WAIT_DHCP || c.nodes[i].stage == CS_POWERING) &&
			    access(p, F_OK) == 0) {
				camp_on_dhcp(&c, i, now);
				camp_on_report(&c, i, true, NULL, now);
			}
		}
		camp_tick(&c, now);
		if (c.in_flight > max_seen)
			max_seen = c.in_flight;
		if (camp_save(&c, argv[2]) < 0)
			fprintf(stderr, "save failed\n");
		if (stop && bs_mono_ms() >= stop) {
			printf("stopped with %u in flight\n", c.in_flight);
			fflush(stdout);
			_exit(3); /* a crash: no cleanup, BMC threads abandoned */
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	camp_bmc_fini(&b);
	printf("max_in_flight_seen %u power_ons %llu\n", max_seen,
	       (unsigned long long)c.power_ons);
	for (uint32_t i = 0; i < c.n; i++)
		printf("%s %s %u %s\n", c.nodes[i].name, camp_stage_name(c.nodes[i].stage),
		       c.nodes[i].attempts, c.nodes[i].reason);
	camp_free(&c);
	pwr_creds_free(&cr);
	cfg_free(cfg);
	return 0;
}
