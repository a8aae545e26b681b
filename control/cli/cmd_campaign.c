/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm campaign list|status ID|watch ID|cancel ID|retry-failed ID
 * and the campaign side of `bootstorm reimage --power`: clients of the
 * running server's /api/campaigns (control/daemon/api_camp.h).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cli_campaign_line(json_t *k, char *out, size_t cap)
{
	json_t *st = json_object_get(k, "stages");
	char age[32];

	fmt_age(now_ms() - jint(k, "created_ms"), age, sizeof(age));
	snprintf(out, cap,
		 "campaign %s %s: %lld nodes: %lld done, %lld failed, %lld installing, "
		 "%lld waiting-dhcp, %lld powering, %lld queued%s; in flight %lld/%lld; "
		 "profile %s; power %s; started %s ago",
		 jstr(k, "id"), json_is_true(json_object_get(k, "finished")) ? "finished" : "running",
		 jint(k, "nodes_total"), jint(st, "done"), jint(st, "failed"), jint(st, "installing"),
		 jint(st, "waiting-dhcp"), jint(st, "powering"), jint(st, "queued"),
		 jint(st, "cancelled") ? ", some cancelled" : "", jint(k, "in_flight"),
		 jint(k, "max_in_flight"), json_is_string(json_object_get(k, "profile")) ?
		 jstr(k, "profile") : "(yaml)",
		 json_is_true(json_object_get(k, "power")) ? "bmc" : "by hand", age);
}

void
cli_campaign_failed(json_t *k, FILE *f)
{
	json_t *n, *l;
	size_t i, j;

	json_array_foreach(json_object_get(k, "nodes"), i, n) {
		if (strcmp(jstr(n, "stage"), "failed"))
			continue;
		fprintf(f, "  FAILED %s (attempt %lld): %s\n", jstr(n, "name"), jint(n, "attempts"),
			jstr(n, "reason"));
		json_t *con = json_object_get(n, "console");
		json_t *cap = json_object_get(n, "console_capture");

		if (!strcmp(jstr(cap, "state"), "refused"))
			fprintf(f, "    console capture: %s\n", jstr(cap, "why"));

		if (!json_array_size(con)) {
			fprintf(f, "    (no console log)\n");
			continue;
		}
		json_array_foreach(con, j, l)
			fprintf(f, "    | %s\n", json_string_value(l));
	}
}

static void
print_status(json_t *k, bool nodes)
{
	char line[600], age[32];
	json_t *n;
	size_t i;

	cli_campaign_line(k, line, sizeof(line));
	printf("%s\n", line);
	if (!nodes)
		return;
	printf("  %-20s %-13s %8s %8s %-10s %s\n", "NODE", "STAGE", "ATTEMPTS", "FOR", "STEP",
	       "REASON");
	json_array_foreach(json_object_get(k, "nodes"), i, n) {
		fmt_age(now_ms() - jint(n, "since_ms"), age, sizeof(age));
		printf("  %-20s %-13s %8lld %8s %-10s %s\n", jstr(n, "name"), jstr(n, "stage"),
		       jint(n, "attempts"), age, *jstr(n, "step") ? jstr(n, "step") : "-",
		       jstr(n, "reason"));
	}
	cli_campaign_failed(k, stdout);
}

/* POST base/api/<path>; prints the error; the answer (JSON) or NULL. */
static json_t *
post(const char *base, const char *path, int *rc)
{
	char url[8192], *body;
	long status = 0;
	json_t *j;

	snprintf(url, sizeof(url), "%s/api/%s", base, path);
	if ((*rc = cli_post_json(url, &status, &j, &body)) != 0)
		return NULL;
	if (status != 200) {
		fprintf(stderr, "bootstorm: %s: HTTP %ld: %s\n", path, status, cli_answer_error(j, body));
		*rc = status == 400 || status == 404 || status == 409 ? EXIT_USAGE : EXIT_RUNTIME;
		json_decref(j);
		j = NULL;
	}
	free(body);
	return j;
}

int
cli_campaign_create(const char *base, const char *set, const char *profile, const char *extra)
{
	char path[6000];
	char *eset, *eprof = NULL;
	CURL *h;
	json_t *j;
	int rc = EXIT_OK;

	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK || !(h = curl_easy_init()))
		return EXIT_RUNTIME;
	eset = curl_easy_escape(h, set, 0);
	if (profile)
		eprof = curl_easy_escape(h, profile, 0);
	snprintf(path, sizeof(path), "campaigns?nodes=%s%s%s%s", eset ? eset : "",
		 eprof ? "&profile=" : "", eprof ? eprof : "", extra);
	curl_free(eset);
	curl_free(eprof);
	curl_easy_cleanup(h);
	j = post(base, path, &rc);
	if (!j)
		return rc;
	printf("campaign %s created (%lld nodes); follow it with: bootstorm campaign watch %s\n",
	       jstr(j, "id"), jint(j, "nodes_total"), jstr(j, "id"));
	json_decref(j);
	return EXIT_OK;
}

static int
watch(const char *base, const char *id)
{
	char path[128];
	bool tty = isatty(STDOUT_FILENO);

	snprintf(path, sizeof(path), "/api/campaigns/%s", id);
	for (;;) {
		json_t *k;
		int rc = cli_fetch_or_fail(base, path, &k);

		if (rc != EXIT_OK)
			return rc;
		if (tty)
			printf("\033[H\033[J");
		print_status(k, tty);
		fflush(stdout);
		bool fin = json_is_true(json_object_get(k, "finished"));

		if (fin && !tty)
			cli_campaign_failed(k, stdout);
		json_decref(k);
		if (fin)
			return EXIT_OK;
		sleep(1);
	}
}

int
cmd_campaign(int argc, char **argv)
{
	struct cli_args a;
	const char *act, *id;
	char base[1024], path[160];
	int rc = cli_client_parse(argc, argv, NULL, NULL, NULL, &a);

	if (rc)
		return rc;
	act = a.first < argc ? argv[a.first] : NULL;
	id = a.first + 1 < argc ? argv[a.first + 1] : NULL;
	if (!act || (strcmp(act, "list") ? !id || a.first + 2 != argc : a.first + 1 != argc) ||
	    (id && (strlen(id) > 31 || strchr(id, '/') || strchr(id, '?')))) {
		fprintf(stderr, "usage: bootstorm campaign [-c FILE|--url URL] "
				"list | status ID | watch ID | cancel ID | retry-failed ID\n");
		return EXIT_USAGE;
	}
	if (cli_api_url(a.cfg, a.url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	if (!strcmp(act, "list")) {
		json_t *j, *k;
		size_t i;
		char line[600];

		if ((rc = cli_fetch_or_fail(base, "/api/campaigns", &j)) != EXIT_OK)
			return rc;
		json_array_foreach(json_object_get(j, "campaigns"), i, k) {
			cli_campaign_line(k, line, sizeof(line));
			printf("%s\n", line);
		}
		if (!json_array_size(json_object_get(j, "campaigns")))
			printf("no campaigns\n");
		json_decref(j);
		return EXIT_OK;
	}
	if (!strcmp(act, "status")) {
		json_t *k;

		snprintf(path, sizeof(path), "/api/campaigns/%s", id);
		if ((rc = cli_fetch_or_fail(base, path, &k)) != EXIT_OK)
			return rc;
		print_status(k, true);
		json_decref(k);
		return EXIT_OK;
	}
	if (!strcmp(act, "watch"))
		return watch(base, id);
	if (strcmp(act, "cancel") && strcmp(act, "retry-failed")) {
		fprintf(stderr, "bootstorm campaign: unknown action '%s'\n", act);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "campaigns/%s/%s", id, act);
	json_t *k = post(base, path, &rc);

	if (!k)
		return rc;
	if (!strcmp(act, "retry-failed"))
		printf("%s: %lld failed nodes queued again\n", id, jint(k, "requeued"));
	else
		printf("%s: cancelled\n", id);
	json_decref(k);
	return EXIT_OK;
}
