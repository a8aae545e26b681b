/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm db init|migrate|status|import-inventory` and `bootstorm fleet`:
 * client commands that talk to the fleet database named by the config's
 * fleet: section (control/fleet/fleet.h), not to a running server, so they
 * work while every server is down.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "conf/cfg.h"
#include "control/cli/cli.h"
#include "control/exit.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_node.h"
#include "util/bs_time.h"

#define DEFAULT_CFG "/etc/bootstorm/bootstorm.yaml"

static const char db_usage[] =
	"usage: bootstorm db init|migrate|status|import-inventory [-c FILE]\n"
	"       bootstorm db set-state NODES install|local|hold [--profile P] [-c FILE]\n";
static const char fleet_usage[] =
	"usage: bootstorm fleet [-c FILE] [--json]\n"
	"       bootstorm fleet campaigns [-c FILE] [--json]\n"
	"       bootstorm fleet campaign NAME [-c FILE] [--json]\n"
	"       bootstorm fleet campaign NAME cancel|retry-failed [-c FILE]\n"
	"       bootstorm fleet node NAME|MAC [-c FILE] [--json]\n"
	"       bootstorm fleet nodes [--server S] [--state X] [--campaign C] [--limit N]\n"
	"                             [-c FILE] [--json]\n";

static const char *opt_profile; /* db set-state --profile */
/* fleet nodes: --server, --state, --campaign, --limit */
static const char *opt_filter[FNP_MAX];
static bool opt_filtered;

/* Options shared by both commands; 0, or an exit code. */
static int
opts(int argc, char **argv, const char **path, bool *json, const char *usage)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "server", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'T' },
		{ "campaign", required_argument, NULL, 'C' },
		{ "limit", required_argument, NULL, 'L' },
		{ 0 },
	};
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:jp:h", lo, NULL)) != -1) {
		if ((o == 'S' || o == 'T' || o == 'C' || o == 'L') && json) {
			opt_filter[o == 'S' ? FNP_SERVER : o == 'T' ? FNP_STATE : o == 'C' ? FNP_CAMPAIGN
											   : FNP_LIMIT] = optarg;
			opt_filtered = true;
		} else if (o == 'c')
			*path = optarg;
		else if (o == 'j' && json)
			*json = true;
		else if (o == 'p' && !json && argv[0] && strcmp(argv[0], "set-state") == 0)
			opt_profile = optarg;
		else if (o == 'h') {
			fputs(usage, stdout);
			return -EXIT_OK - 1;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int
cmd_db(int argc, char **argv)
{
	const char *path = DEFAULT_CFG, *sub = argc > 1 ? argv[1] : NULL;
	struct cfg *c;
	int rc;

	if (!sub || sub[0] == '-') {
		fputs(db_usage, sub && strcmp(sub, "--help") == 0 ? stdout : stderr);
		return sub && strcmp(sub, "--help") == 0 ? EXIT_OK : EXIT_USAGE;
	}
	rc = opts(argc - 1, argv + 1, &path, NULL, db_usage);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (strcmp(sub, "set-state") == 0 ? optind != argc - 3 : optind != argc - 1) {
		fputs(db_usage, stderr);
		return EXIT_USAGE;
	}
	if (!(c = cfg_load_report(path, stderr)))
		return EXIT_USAGE;
	if (!c->fleet_database) {
		fprintf(stderr, "bootstorm db: %s: no fleet.database\n", path);
		rc = EXIT_USAGE;
	} else if (strcmp(sub, "init") == 0 || strcmp(sub, "migrate") == 0) {
		rc = fleet_db_migrate(c, stdout);
	} else if (strcmp(sub, "status") == 0) {
		rc = fleet_db_status(c, stdout);
	} else if (strcmp(sub, "import-inventory") == 0) {
		rc = fleet_db_import(c, stdout);
	} else if (strcmp(sub, "set-state") == 0) {
		/* argv + 1 was permuted: the two operands are last */
		rc = fleet_db_set_state(c, argv[argc - 2], argv[argc - 1], opt_profile, stdout);
	} else {
		fputs(db_usage, stderr);
		rc = EXIT_USAGE;
	}
	cfg_free(c);
	return rc;
}

int
cmd_fleet(int argc, char **argv)
{
	const char *path = DEFAULT_CFG;
	bool json = false;
	struct cfg *c;
	int rc;

	memset(opt_filter, 0, sizeof(opt_filter)); /* a second call (tests) starts clean */
	opt_filtered = false;
	rc = opts(argc, argv, &path, &json, fleet_usage);

	int npos = argc - optind;
	char **pos = argv + optind; /* getopt_long put the operands last */

	/* fleet | fleet campaigns | fleet campaign NAME [cancel|retry-failed] |
	 * fleet node KEY | fleet nodes [filters]; the filters are the list's */
	bool nodes = npos > 0 && strcmp(pos[0], "nodes") == 0;
	bool node = npos > 0 && strcmp(pos[0], "node") == 0;
	struct fleet_nodes_q q;
	char err[256];

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (opt_filtered && !nodes) {
		fputs(fleet_usage, stderr);
		return EXIT_USAGE;
	}
	if (nodes && (npos != 1 || fleet_nodes_q_fill(&q, opt_filter[FNP_SERVER], opt_filter[FNP_STATE],
						      opt_filter[FNP_CAMPAIGN], opt_filter[FNP_LIMIT],
						      err, sizeof(err)) < 0)) {
		if (npos == 1)
			fprintf(stderr, "bootstorm fleet nodes: %s\n", err);
		else
			fputs(fleet_usage, stderr);
		return EXIT_USAGE;
	}
	if (node ? npos != 2
	    : nodes ? false
	    : npos > 0 && strcmp(pos[0], "campaigns") == 0 ? npos != 1
	    : npos > 0 && strcmp(pos[0], "campaign") == 0
		    ? npos < 2 || npos > 3 ||
			      (npos == 3 && (json || (strcmp(pos[2], "cancel") != 0 &&
						      strcmp(pos[2], "retry-failed") != 0)))
		    : npos != 0) {
		fputs(fleet_usage, stderr);
		return EXIT_USAGE;
	}
	if (!(c = cfg_load_report(path, stderr)))
		return EXIT_USAGE;
	if (!c->fleet_database) {
		fprintf(stderr, "bootstorm fleet: %s: no fleet.database\n", path);
		rc = EXIT_USAGE;
	} else if (nodes) {
		rc = fleet_nodes_print(c, &q, json, stdout);
	} else if (node) {
		rc = fleet_node_print(c, pos[1], json, stdout);
	} else if (npos == 0) {
		rc = fleet_view_print(c, json, stdout);
	} else if (npos == 1) {
		rc = fleet_camps_print(c, json, stdout);
	} else if (npos == 2) {
		rc = fleet_camp_print(c, pos[1], json, stdout);
	} else {
		rc = fleet_camp_admin(c, pos[1], pos[2], stdout);
	}
	cfg_free(c);
	return rc;
}

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "?";
}

void
fleet_status_print(json_t *status, FILE *out)
{
	json_t *f = json_object_get(status, "fleet");
	long long last = (long long)json_integer_value(json_object_get(f, "last_shipped_ms"));
	const char *err = json_string_value(json_object_get(f, "last_error"));

	if (!json_is_true(json_object_get(f, "enabled")))
		return;
	fprintf(out, "fleet       server %s, database %s, outbox backlog %lld, %lld shipped",
		js(f, "server"), js(f, "database"),
		(long long)json_integer_value(json_object_get(f, "backlog")),
		(long long)json_integer_value(json_object_get(f, "shipped")));
	if (last)
		fprintf(out, ", last %.1fs ago", (double)((long long)bs_real_ms() - last) / 1000.0);
	if (err && err[0] && !json_is_true(json_object_get(f, "database_ok")))
		fprintf(out, " (%s)", err);
	fputc('\n', out);
	f = json_object_get(f, "follow");
	if (f)
		fprintf(out, "follow      %s%s, change seq %lld, %lld fleet nodes here, %lld states taken\n",
			js(f, "state"),
			strcmp(js(f, "state"), "stale") == 0 ? " (database unreachable: serving the last snapshot)" : "",
			(long long)json_integer_value(json_object_get(f, "change_seq")),
			(long long)json_integer_value(json_object_get(f, "nodes")),
			(long long)json_integer_value(json_object_get(f, "states_applied")));
}
