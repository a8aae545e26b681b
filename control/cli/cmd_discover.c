/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm discovered [--json]
 * bootstorm enroll MAC --name NODE [--profile P] [--ip ADDR]
 * The table of machines that asked for DHCP/PXE without being in the
 * inventory (GET /api/discovered), and turning one into an inventory node
 * (POST /api/discovered/<mac>/enroll): the server checks the whole config
 * with it, writes discovery.enrolled and reloads.
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
#include "util/bs_time.h"

static void
print_table(json_t *j)
{
	long long now = (long long)bs_real_ms();
	json_t *v;
	size_t i;

	printf("%-17s  %-15s  %-24s  %-36s  %-15s  %-9s  %7s  %s\n", "MAC", "ARCH", "VENDOR CLASS",
	       "UUID", "RELAY", "LAST", "COUNT", "FIRST SEEN");
	json_array_foreach(json_object_get(j, "clients"), i, v) {
		char last[32], first[32];
		const char *relay = jstr(v, "relay");

		fmt_age(now - jint(v, "last_seen_ms"), last, sizeof(last));
		fmt_age(now - jint(v, "first_seen_ms"), first, sizeof(first));
		printf("%-17s  %-15s  %-24s  %-36s  %-15s  %-9s  %7lld  %s ago\n", jstr(v, "mac"),
		       jstr(v, "arch_name"), jstr(v, "vendor_class"),
		       json_is_string(json_object_get(v, "uuid")) ? jstr(v, "uuid") : "-",
		       relay && *relay ? relay : "direct", last, jint(v, "count"), first);
	}
	printf("%lld discovered (capacity %lld, %lld evicted by newer MACs, %lld events lost to a full ring)\n",
	       jint(j, "count"), jint(j, "capacity"), jint(j, "overflow"), jint(j, "ring_full"));
}

int
cmd_discovered(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cfg = NULL, *url = NULL;
	bool as_json = false;
	char base[1024];
	json_t *j;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:u:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfg = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			return CLI_EXIT_HELP;
		default:
			return CLI_EXIT_USAGE_TEXT;
		}
	}
	if (optind != argc)
		return CLI_EXIT_USAGE_TEXT;
	if (cli_api_url(cfg, url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	if ((rc = cli_fetch_or_fail(base, "/api/discovered", &j)) != 0)
		return rc;
	if (as_json) {
		json_dumpf(j, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_table(j);
	}
	json_decref(j);
	return EXIT_OK;
}

/* POSTs the enrollment; prints the answer. */
static int
post_enroll(const char *base, const char *mac, const char *name, const char *profile,
	    const char *ip)
{
	char url[4096], *body = NULL, *em, *en, *ep = NULL, *ei = NULL;
	size_t blen = 0;
	long status = 0;
	CURL *h;
	json_t *j;
	int rc, err;

	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK || !(h = curl_easy_init()))
		return EXIT_RUNTIME;
	em = curl_easy_escape(h, mac, 0);
	en = curl_easy_escape(h, name, 0);
	if (profile)
		ep = curl_easy_escape(h, profile, 0);
	if (ip)
		ei = curl_easy_escape(h, ip, 0);
	snprintf(url, sizeof(url), "%s/api/discovered/%s/enroll?name=%s%s%s%s%s", base, em ? em : "",
		 en ? en : "", ep ? "&profile=" : "", ep ? ep : "", ei ? "&ip=" : "", ei ? ei : "");
	curl_free(em);
	curl_free(en);
	curl_free(ep);
	curl_free(ei);
	curl_easy_cleanup(h);
	err = cli_http(url, true, 30000L, &status, &body, &blen);
	if (err < 0) {
		fprintf(stderr, "bootstorm: %s: %s\n", url, strerror(-err));
		return EXIT_RUNTIME;
	}
	j = json_loads(body, 0, NULL);
	if (status == 200 || status == 202) {
		printf("%s\n", jstr(j, "result"));
		rc = status == 200 ? EXIT_OK : EXIT_RUNTIME;
	} else {
		const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

		fprintf(stderr, "bootstorm enroll: %s\n", e ? e : body);
		rc = status == 400 || status == 409 || status == 422 ? EXIT_USAGE : EXIT_RUNTIME;
	}
	json_decref(j);
	free(body);
	return rc;
}

int
cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "profile", required_argument, NULL, 'p' },
		{ "ip", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cfg = NULL, *url = NULL, *name = NULL, *profile = NULL, *ip = NULL;
	char base[1024];
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:u:n:p:i:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfg = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'h':
			return CLI_EXIT_HELP;
		default:
			return CLI_EXIT_USAGE_TEXT;
		}
	}
	if (optind + 1 != argc || !name) {
		fprintf(stderr, "bootstorm enroll: MAC --name NODE [--profile P] [--ip ADDR]\n");
		return EXIT_USAGE;
	}
	if (cli_api_url(cfg, url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	return post_enroll(base, argv[optind], name, profile, ip);
}
