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

/* on_opt of cmd_discovered: --json, -j. */
static int
on_json(void *ctx, int key, const char *val)
{
	(void)key;
	(void)val;
	*(bool *)ctx = true;
	return 0;
}

int
cmd_discovered(int argc, char **argv)
{
	static const struct cli_opt own[] = {
		{ "json", 'j', false, true },
		{ 0 },
	};
	struct cli_args a;
	bool as_json = false;
	char base[1024];
	json_t *j;
	int rc = cli_client_parse(argc, argv, own, on_json, &as_json, &a);

	if (rc)
		return rc;
	if (a.first != argc)
		return CLI_EXIT_USAGE_TEXT;
	if (cli_api_url(a.cfg, a.url, base, sizeof(base)) < 0)
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
	char url[4096], *body, *em, *en, *ep = NULL, *ei = NULL;
	long status = 0;
	CURL *h;
	json_t *j;
	int rc;

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
	if (cli_post_json(url, &status, &j, &body) != 0)
		return EXIT_RUNTIME;
	if (status == 200 || status == 202) {
		printf("%s\n", jstr(j, "result"));
		rc = status == 200 ? EXIT_OK : EXIT_RUNTIME;
	} else {
		fprintf(stderr, "bootstorm enroll: %s\n", cli_answer_error(j, body));
		rc = status == 400 || status == 409 || status == 422 ? EXIT_USAGE : EXIT_RUNTIME;
	}
	json_decref(j);
	free(body);
	return rc;
}

struct enroll_args {
	const char *name, *profile, *ip;
};

/* on_opt of cmd_enroll: --name, --profile, --ip (and -n, -p, -i). */
static int
on_enroll_opt(void *ctx, int key, const char *val)
{
	struct enroll_args *e = ctx;

	if (key == 'n')
		e->name = val;
	else if (key == 'p')
		e->profile = val;
	else
		e->ip = val;
	return 0;
}

int
cmd_enroll(int argc, char **argv)
{
	static const struct cli_opt own[] = {
		{ "name", 'n', true, true },
		{ "profile", 'p', true, true },
		{ "ip", 'i', true, true },
		{ 0 },
	};
	struct enroll_args e = { 0 };
	struct cli_args a;
	char base[1024];
	int rc = cli_client_parse(argc, argv, own, on_enroll_opt, &e, &a);

	if (rc)
		return rc;
	if (a.first + 1 != argc || !e.name) {
		fprintf(stderr, "bootstorm enroll: MAC --name NODE [--profile P] [--ip ADDR]\n");
		return EXIT_USAGE;
	}
	if (cli_api_url(a.cfg, a.url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	return post_enroll(base, argv[a.first], e.name, e.profile, e.ip);
}
