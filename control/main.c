/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm: the control process and its CLI.  The subcommand table: each
 * entry is the daemon (control/daemon/serve.h) or a client command
 * (control/cli/cli.h); neither side calls the other.  Exit codes: 0 ok, 1
 * runtime error, 2 usage or config error (control/exit.h).
 */
#include <stdio.h>
#include <string.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/daemon/serve.h"
#include "control/exit.h"
#include "control/power/power_cli.h"

struct subcmd {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] = name */
};

static const struct subcmd subcmds[] = {
	{ "serve", cmd_serve },
	{ "check-config", cmd_check_config },
	{ "status", cmd_status },
	{ "leases", cmd_leases },
	{ "nodes", cmd_nodes },
	{ "watch", cmd_watch },
	{ "summary", cmd_summary },
	{ "import", cmd_import },
	{ "reimage", cmd_reimage },
	{ "localboot", cmd_localboot },
	{ "discovered", cmd_discovered },
	{ "enroll", cmd_enroll },
	{ "campaign", cmd_campaign },
	{ "power", cmd_power },
	{ "console", cmd_console },
	{ "db", cmd_db },
	{ "fleet", cmd_fleet },
};

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		cli_usage(cmd ? stdout : stderr);
		return cmd ? EXIT_OK : EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("bootstorm %s\n", BS_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++) {
		int rc;

		if (strcmp(cmd, subcmds[i].name) != 0)
			continue;
		rc = subcmds[i].run(argc - 1, argv + 1);
		if (rc == CLI_EXIT_HELP) {
			cli_usage(stdout);
			return EXIT_OK;
		}
		if (rc == CLI_EXIT_USAGE_TEXT) {
			cli_usage(stderr);
			return EXIT_USAGE;
		}
		return rc;
	}
	fprintf(stderr, "bootstorm: unknown command '%s'\n", cmd);
	cli_usage(stderr);
	return EXIT_USAGE;
}
