/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm reimage <nodes>... [--profile P] | --all
 *     [--power] [--max-in-flight N] [--rate R] [--dhcp-deadline S]
 *     [--install-deadline S] [--max-repower K]
 * bootstorm localboot <nodes>... | --all
 * With --power (or any campaign option) reimage creates a campaign
 * (cmd_campaign.c; without --power its nodes are rebooted by hand);
 * without, it only sets the boot states, as before.
 * bootstorm reimage NODES... | --all --fleet [-c FILE] [--profile P]
 *     [--rate R] [--max-in-flight N] [--server-rate R] [--server-in-flight N]
 *     [--name NAME] [--no-power] [--dhcp-deadline S] [--install-deadline S]
 *     [--max-repower K]
 * creates a fleet-wide campaign in the fleet database instead (no server is
 * asked: control/fleet/fleet_camp_db.c); every server runs its share.
 * Each POSTs the node set to the running server, which expands it (names,
 * node[001-099] ranges, comma lists; * = all) against its inventory, saves
 * the boot states and regenerates the boot files.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_cadmin.h"

/* POSTs to base/api/nodes/<set>/<action>[?profile=]; prints the answer. */
static int
post_action(const char *base, const char *set, const char *action, const char *profile)
{
	char url[4096], *body, *eset, *eprof = NULL;
	long status = 0;
	CURL *h;
	json_t *j;
	int rc;

	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK || !(h = curl_easy_init()))
		return EXIT_RUNTIME;
	eset = curl_easy_escape(h, set, 0);
	if (profile)
		eprof = curl_easy_escape(h, profile, 0);
	snprintf(url, sizeof(url), "%s/api/nodes/%s/%s%s%s", base, eset ? eset : "", action,
		 eprof ? "?profile=" : "", eprof ? eprof : "");
	curl_free(eset);
	curl_free(eprof);
	curl_easy_cleanup(h);
	if (cli_post_json(url, &status, &j, &body) != 0)
		return EXIT_RUNTIME;
	if (status != 200) {
		fprintf(stderr, "bootstorm: %s: HTTP %ld: %s\n", action, status, cli_answer_error(j, body));
		rc = status == 400 || status == 404 ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		json_t *v;
		size_t i;

		printf("%s: %zu nodes -> %s (%lld changed):", action,
		       json_array_size(json_object_get(j, "nodes")), jstr(j, "state"),
		       jint(j, "changed"));
		json_array_foreach(json_object_get(j, "nodes"), i, v) {
			if (i == 16) {
				printf(" ...");
				break;
			}
			printf(" %s", json_string_value(v));
		}
		printf("\n");
		rc = EXIT_OK;
	}
	json_decref(j);
	free(body);
	return rc;
}

static const struct cli_opt boot_opts[] = {
	{ "profile", 'p', true, true },
	{ "all", 'a', false, false },
	{ "power", 'P', false, false },
	{ "max-in-flight", 'M', true, false },
	{ "rate", 'R', true, false },
	{ "dhcp-deadline", 'D', true, false },
	{ "install-deadline", 'I', true, false },
	{ "max-repower", 'K', true, false },
	{ "fleet", 'F', false, false },
	{ "server-rate", 'S', true, false },
	{ "server-in-flight", 'T', true, false },
	{ "name", 'N', true, false },
	{ "no-power", 'n', false, false },
	{ 0 },
};

/* What the options of reimage/localboot say. */
struct boot_args {
	const char *action;
	bool with_profile; /* reimage: --profile and the campaign options */
	const char *profile;
	bool all, camp, power;
	char extra[512]; /* &max_in_flight=N... for the campaign */
	size_t el;
	bool fleet;			/* --fleet: a fleet-wide campaign */
	struct fleet_camp_opts fo;	/* its flags as typed */
	const char *fleet_only;		/* a --fleet flag seen (named if no --fleet) */
	const char *not_whole;		/* --rate R not whole: fine with --fleet only */
};

/* The flags that only --fleet takes, and --fleet itself. */
static int
on_fleet_opt(struct boot_args *b, int key, const char *val)
{
	if (!b->with_profile)
		return CLI_EXIT_USAGE_TEXT;
	if (key == 'F')
		b->fleet = true;
	else if (key == 'S')
		b->fo.server_rate = val, b->fleet_only = "server-rate";
	else if (key == 'T')
		b->fo.server_in_flight = val, b->fleet_only = "server-in-flight";
	else if (key == 'N')
		b->fo.name = val, b->fleet_only = "name";
	else
		b->fo.no_power = true, b->fleet_only = "no-power";
	return 0;
}

/* on_opt of boot_cmd: 0, or the exit code that ends the command. */
static int
on_boot_opt(void *ctx, int key, const char *val)
{
	static const char *const qname[] = { ['M'] = "max_in_flight", ['R'] = "rate",
		['D'] = "dhcp_deadline", ['I'] = "install_deadline", ['K'] = "max_repower" };
	struct boot_args *b = ctx;
	const struct cli_opt *o = boot_opts;

	if (key == 'a') {
		b->all = true;
		return 0;
	}
	if (strchr("FSTNn", key))
		return on_fleet_opt(b, key, val);
	if ((key == 'p' || key == 'P') && !b->with_profile)
		return CLI_EXIT_USAGE_TEXT;
	if (key == 'p') {
		b->profile = b->fo.profile = val;
		return 0;
	}
	if (key == 'P') {
		b->camp = b->power = true;
		return 0;
	}
	if (b->with_profile) { /* --fleet takes them too (checked by fleet_camp_row_fill) */
		const char **f[128] = { ['M'] = &b->fo.max_in_flight, ['R'] = &b->fo.rate,
			['D'] = &b->fo.dhcp_deadline, ['I'] = &b->fo.install_deadline,
			['K'] = &b->fo.max_repower };

		*f[key] = val;
		/* a fleet rate may be a fraction (0.5/s); the local one may not */
		if (key == 'R' && strspn(val, "0123456789.") == strlen(val) && strchr(val, '.')) {
			b->not_whole = "rate";
			return 0;
		}
	}
	/* localboot takes no campaign option: the same message as a bad one */
	if (!b->with_profile || strspn(val, "0123456789") != strlen(val) || !*val ||
	    strlen(val) > 9) {
		while (o->key != key)
			o++;
		fprintf(stderr, "bootstorm %s: --%s wants a whole number\n", b->action, o->name);
		return EXIT_USAGE;
	}
	b->camp = true;
	/* room kept for "&power=N"; a repeated option could otherwise walk
	 * el past the buffer (snprintf returns what it would have written) */
	int w = snprintf(b->extra + b->el, sizeof(b->extra) - 16 - b->el, "&%s=%s", qname[key], val);
	if (w < 0 || (size_t)w >= sizeof(b->extra) - 16 - b->el) {
		fprintf(stderr, "bootstorm %s: too many campaign options\n", b->action);
		return EXIT_USAGE;
	}
	b->el += (size_t)w;
	return 0;
}

/* reimage --fleet: the database of the config, not a running server. */
static int
fleet_reimage(const struct boot_args *b, const char *path, const char *url, const char *set)
{
	struct fleet_camp_row row;
	char err[256];
	struct cfg *c;
	int rc;

	if (url || (b->power && b->fo.no_power)) {
		fprintf(stderr, "bootstorm reimage --fleet: %s\n",
			url ? "talks to the fleet database of -c FILE, not to --url"
			    : "--power and --no-power");
		return EXIT_USAGE;
	}
	if (!path)
		path = CLI_DEFAULT_CONFIG;
	if (!(c = cfg_load_report(path, stderr)))
		return EXIT_USAGE;
	if (!c->fleet_database) {
		fprintf(stderr, "bootstorm reimage --fleet: %s: no fleet.database\n", path);
		rc = EXIT_USAGE;
	} else if (fleet_camp_prepare(c, set, &b->fo, &row, err, sizeof(err)) < 0) {
		fprintf(stderr, "bootstorm reimage --fleet: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		rc = fleet_camp_create(c, set, &row, stdout);
	}
	cfg_free(c);
	return rc;
}

static int
boot_cmd(int argc, char **argv, const char *action, bool with_profile)
{
	struct boot_args b = { .action = action, .with_profile = with_profile };
	struct cli_args a;
	char base[1024], set[4096] = "";
	size_t len = 0;
	int rc = cli_client_parse(argc, argv, boot_opts, on_boot_opt, &b, &a);

	if (rc)
		return rc;
	if (b.all == (a.first < argc)) {
		fprintf(stderr, "bootstorm %s: name nodes (node[001-099], a,b, ...) or --all\n", action);
		return EXIT_USAGE;
	}
	for (int i = a.first; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(set)) {
			fprintf(stderr, "bootstorm %s: node list too long\n", action);
			return EXIT_USAGE;
		}
		if (len)
			set[len++] = ',';
		memcpy(set + len, argv[i], n + 1);
		len += n;
	}
	if (b.all)
		snprintf(set, sizeof(set), "*");
	if (b.fleet)
		return fleet_reimage(&b, a.cfg, a.url, set);
	if (b.fleet_only || b.not_whole) {
		fprintf(stderr, "bootstorm %s: --%s %s\n", action, b.fleet_only ? b.fleet_only : "rate",
			b.fleet_only ? "goes with --fleet" : "wants a whole number");
		return EXIT_USAGE;
	}
	if (cli_api_url(a.cfg, a.url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	if (b.camp) {
		snprintf(b.extra + b.el, sizeof(b.extra) - b.el, "&power=%d", b.power ? 1 : 0);
		return cli_campaign_create(base, set, b.profile, b.extra);
	}
	return post_action(base, set, action, b.profile);
}

int
cmd_reimage(int argc, char **argv)
{
	return boot_cmd(argc, argv, "reimage", true);
}

int
cmd_localboot(int argc, char **argv)
{
	return boot_cmd(argc, argv, "localboot", false);
}
