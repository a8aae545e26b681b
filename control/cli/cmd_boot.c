/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm reimage <nodes>... [--profile P] | --all
 *     [--power] [--max-in-flight N] [--rate R] [--dhcp-deadline S]
 *     [--install-deadline S] [--max-repower K]
 * bootstorm localboot <nodes>... | --all
 * With --power (or any campaign option) reimage creates a campaign
 * (cmd_campaign.c; without --power its nodes are rebooted by hand);
 * without, it only sets the boot states, as before.
 * Each POSTs the node set to the running server, which expands it (names,
 * node[001-099] ranges, comma lists; * = all) against its inventory, saves
 * the boot states and regenerates the boot files.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"

/* POSTs to base/api/nodes/<set>/<action>[?profile=]; prints the answer. */
static int
post_action(const char *base, const char *set, const char *action, const char *profile)
{
	char url[4096], *body = NULL, *eset, *eprof = NULL;
	size_t blen = 0;
	long status = 0;
	CURL *h;
	json_t *j;
	int rc = EXIT_RUNTIME, err;

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
	err = cli_http(url, true, 30000L, &status, &body, &blen);
	if (err < 0) {
		fprintf(stderr, "bootstorm: %s: %s\n", url, strerror(-err));
		return EXIT_RUNTIME;
	}
	j = json_loads(body, 0, NULL);
	if (status != 200) {
		const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

		fprintf(stderr, "bootstorm: %s: HTTP %ld: %s\n", action, status, e ? e : body);
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

static int
boot_cmd(int argc, char **argv, const char *action, bool with_profile)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "profile", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "power", no_argument, NULL, 'P' },
		{ "max-in-flight", required_argument, NULL, 'M' },
		{ "rate", required_argument, NULL, 'R' },
		{ "dhcp-deadline", required_argument, NULL, 'D' },
		{ "install-deadline", required_argument, NULL, 'I' },
		{ "max-repower", required_argument, NULL, 'K' },
		{ 0 },
	};
	static const char *const qname[] = { ['M'] = "max_in_flight", ['R'] = "rate",
		['D'] = "dhcp_deadline", ['I'] = "install_deadline", ['K'] = "max_repower" };
	const char *cfg = NULL, *url = NULL, *profile = NULL;
	char base[1024], set[4096] = "", extra[512] = "";
	bool all = false, camp = false, power = false;
	size_t len = 0, el = 0;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:u:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfg = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'p':
			if (!with_profile)
				return CLI_EXIT_USAGE_TEXT;
			profile = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'P':
			if (!with_profile)
				return CLI_EXIT_USAGE_TEXT;
			camp = power = true;
			break;
		case 'M':
		case 'R':
		case 'D':
		case 'I':
		case 'K':
			if (!with_profile || strspn(optarg, "0123456789") != strlen(optarg) || !*optarg ||
			    strlen(optarg) > 9) {
				fprintf(stderr, "bootstorm %s: --%s wants a whole number\n", action,
					opts[o == 'M' ? 6 : o == 'R' ? 7 : o == 'D' ? 8 : o == 'I' ? 9 : 10].name);
				return EXIT_USAGE;
			}
			camp = true;
			el += (size_t)snprintf(extra + el, sizeof(extra) - el, "&%s=%s", qname[o], optarg);
			break;
		case 'h':
			return CLI_EXIT_HELP;
		default:
			return CLI_EXIT_USAGE_TEXT;
		}
	}
	if (all == (optind < argc)) {
		fprintf(stderr, "bootstorm %s: name nodes (node[001-099], a,b, ...) or --all\n", action);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
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
	if (all)
		snprintf(set, sizeof(set), "*");
	if (cli_api_url(cfg, url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	if (camp) {
		snprintf(extra + el, sizeof(extra) - el, "&power=%d", power ? 1 : 0);
		return cli_campaign_create(base, set, profile, extra);
	}
	return post_action(base, set, action, profile);
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
