/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Runs console captures (control/power/sol.c, the real ipmitool) against
 * BMCs on 127.0.0.1 for tests/e2e/t_power_ipmi.sh, without the daemon:
 * one capture per NODE:PORT, user USER, the password from $SOL_DRIVE_PW
 * (it reaches ipmitool as IPMI_PASSWORD, as in the daemon), cipher suite 3.
 * Runs until every capture is refused or SECONDS passed, then prints one
 * line per node: "node state why" and stops them.  Logs under
 * STATE_DIR/console/<node>.log.
 *   sol_drive STATE_DIR SECONDS USER NODE:PORT...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/power/sol.h"
#include "util/bs_time.h"

int
main(int argc, char **argv)
{
	struct sol_opts o = { .state_dir = argc > 1 ? argv[1] : NULL, .cipher = 3 };
	const char *pw = getenv("SOL_DRIVE_PW");

	if (argc < 5 || !pw) {
		fprintf(stderr, "usage: SOL_DRIVE_PW=... sol_drive STATE_DIR SECONDS USER NODE:PORT...\n");
		return 2;
	}
	o.tool = getenv("BOOTSTORM_IPMITOOL");
	if (sol_init(&o) < 0)
		return 1;
	for (int i = 4; i < argc; i++) {
		struct pwr_cred cr = { "127.0.0.1", "", "" };
		struct bmc_addr a = { .proto = BMC_IPMI, .host = "127.0.0.1" };
		char *colon = strchr(argv[i], ':');

		if (!colon)
			return 2;
		*colon = 0;
		a.port = (uint16_t)atoi(colon + 1);
		snprintf(cr.user, sizeof(cr.user), "%s", argv[3]);
		snprintf(cr.pass, sizeof(cr.pass), "%s", pw);
		int rc = sol_start(argv[i], &a, &cr, SOL_OWN_ADMIN);

		if (rc < 0) {
			fprintf(stderr, "sol_start %s: %s\n", argv[i], strerror(-rc));
			return 1;
		}
	}
	uint64_t end = bs_mono_ms() + 1000ull * (uint64_t)atoi(argv[2]);
	for (bool all = false; !all && bs_mono_ms() < end; usleep(100 * 1000)) {
		all = true;
		for (int i = 4; i < argc; i++)
			all &= sol_status(argv[i], NULL, 0) == SOL_ST_REFUSED;
	}
	for (int i = 4; i < argc; i++) {
		char why[96];
		enum sol_state s = sol_status(argv[i], why, sizeof(why));

		printf("%s %s %s\n", argv[i], sol_state_name(s), why[0] ? why : "-");
	}
	fflush(stdout);
	sol_stop_all();
	return 0;
}
