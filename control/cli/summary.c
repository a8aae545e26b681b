/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm summary`: after a storm, how many nodes finished and how, how
 * long it took, what was served.  Every figure is the server's storm object
 * (GET /api/storm, rules in control/daemon/storm.h); this file only prints
 * it, with the server, journal and dataplane state of GET /api/status.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"

#define NAMES_SHOWN 6

static void
fmt_ms(long long ms, char *out, size_t cap)
{
	if (ms < 1000)
		snprintf(out, cap, "%lld ms", ms);
	else
		snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
}

/* ": a, b, c, ..." of up to NAMES_SHOWN names of a class of count nodes;
 * "" when count is 0. */
static void
names(json_t *arr, long long count, char *out, size_t cap)
{
	size_t i, off = 0;
	json_t *v;
	int w;

	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		if (i == NAMES_SHOWN)
			break;
		w = snprintf(out + off, cap - off, "%s%s", off ? ", " : ": ", json_string_value(v) ? json_string_value(v) : "-");
		if (w < 0 || (size_t)w >= cap - off)
			return;
		off += (size_t)w;
	}
	if (count > NAMES_SHOWN)
		snprintf(out + off, cap - off, ", ...");
}

static void
print_nodes(json_t *n)
{
	json_t *nm = json_object_get(n, "names"), *per = json_object_get(n, "per_node_ms");
	char b[320];

	printf("nodes       %lld seen (%lld of %lld inventory nodes, %lld unknown clients)\n",
	       jint(n, "seen"), jint(n, "seen") - jint(n, "unknown"), jint(n, "inventory"),
	       jint(n, "unknown"));
	names(json_object_get(nm, "done"), jint(n, "done"), b, sizeof(b));
	printf("booted      %lld: %lld done (installer reported%s), %lld tftp-done (boot files served)\n",
	       jint(n, "booted"), jint(n, "done"), b, jint(n, "tftp_done"));
	names(json_object_get(nm, "failed"), jint(n, "failed"), b, sizeof(b));
	printf("failed      %lld%s\n", jint(n, "failed"), b);
	names(json_object_get(nm, "unfinished"), jint(n, "unfinished"), b, sizeof(b));
	printf("unfinished  %lld%s\n", jint(n, "unfinished"), b);
	if (json_is_object(per)) {
		char p50[24], p90[24], mx[24];

		fmt_ms(jint(per, "p50"), p50, sizeof(p50));
		fmt_ms(jint(per, "p90"), p90, sizeof(p90));
		fmt_ms(jint(per, "max"), mx, sizeof(mx));
		printf("elapsed     %.1f s from the first DHCP message to the last node booted; "
		       "per node p50 %s, p90 %s, max %s (%s)\n",
		       (double)jint(n, "elapsed_ms") / 1000.0, p50, p90, mx, jstr(per, "slowest"));
	} else {
		printf("elapsed     - (no node booted)\n");
	}
}

static void
print_served(json_t *storm)
{
	json_t *d = json_object_get(storm, "dhcp"), *t = json_object_get(storm, "tftp");
	json_t *h = json_object_get(storm, "http");
	char b[32];

	printf("DHCP        %lld leases bound (%lld in the table, capacity %lld); "
	       "DISCOVER %lld, REQUEST %lld -> OFFER %lld, ACK %lld, NAK %lld\n",
	       jint(d, "bound"), jint(d, "leases"), jint(d, "cap"), jint(d, "discover"),
	       jint(d, "request"), jint(d, "offer"), jint(d, "ack"), jint(d, "nak"));
	fmt_bytes((double)jint(t, "bytes"), b, sizeof(b));
	printf("TFTP        %s served in %lld transfers (%lld failed, %lld DATA retransmitted, "
	       "%lld not-found answers)\n",
	       b, jint(t, "transfers"), jint(t, "failed"), jint(t, "retransmits"), jint(t, "not_found"));
	fmt_bytes((double)jint(h, "bytes"), b, sizeof(b));
	/* control counts every request, the API polls of `watch` included */
	printf("HTTP        %s served in %lld requests (boot files, kickstarts, reports and API "
	       "calls; %lld answered 4xx/5xx)\n",
	       b, jint(h, "requests"), jint(h, "errors_4xx") + jint(h, "errors_5xx") + jint(h, "other"));
}

static void
print_state(json_t *st, json_t *drops)
{
	json_t *jr = json_object_get(st, "journal"), *dp = json_object_get(st, "dataplane");
	const char *k;
	int shown = 0;
	json_t *v;

	printf("journal     %s, %lld lease records, %lld fsyncs\n",
	       json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING", jint(jr, "records"),
	       jint(jr, "fsyncs"));
	printf("dataplane   %s, %lld worker%s, %lld packets dropped",
	       json_is_true(json_object_get(dp, "alive")) ? "alive" : "DOWN", jint(dp, "workers"),
	       jint(dp, "workers") == 1 ? "" : "s", jint(drops, "total"));
	json_object_foreach(json_object_get(drops, "reasons"), k, v)
		printf("%s%s %lld", shown++ ? ", " : " (", k, (long long)json_integer_value(v));
	printf("%s\n", shown ? ")" : "");
}

/* Every campaign of the server: its line, then each failed node with its
 * reason and console tail. */
static void
print_campaigns(const char *base)
{
	json_t *list, *k, *one;
	char line[600], path[96];
	int err;
	size_t i;

	list = cli_fetch_json(base, "/api/campaigns", &err);
	json_array_foreach(json_object_get(list, "campaigns"), i, k) {
		cli_campaign_line(k, line, sizeof(line));
		printf("%s\n", line);
		if (!jint(json_object_get(k, "stages"), "failed"))
			continue;
		snprintf(path, sizeof(path), "/api/campaigns/%s", jstr(k, "id"));
		if ((one = cli_fetch_json(base, path, &err))) {
			cli_campaign_failed(one, stdout);
			json_decref(one);
		}
	}
	json_decref(list);
}

int
summary_print(const char *base)
{
	json_t *st = NULL, *storm = NULL;
	int rc = cli_fetch_or_fail(base, "/api/status", &st);

	if (!rc)
		rc = cli_fetch_or_fail(base, "/api/storm", &storm);
	if (!rc) {
		printf("bootstorm summary: %s (bootstorm %s), server up %llds\n", jstr(st, "name"),
		       jstr(st, "version"), jint(st, "uptime_s"));
		print_nodes(json_object_get(storm, "nodes"));
		print_served(storm);
		print_state(st, json_object_get(storm, "drops"));
		print_campaigns(base);
	}
	json_decref(st);
	json_decref(storm);
	return rc;
}
