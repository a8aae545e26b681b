/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/cfg.h"
#include "control/cli/cli_util.h"
#include "control/cli/httpc.h"
#include "control/daemon/kickstart.h"
#include "shm/counters.h"

#define DEFAULT_CONFIG "/etc/bootstorm/bootstorm.yaml"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bootstorm <command> [options]\n"
		"\n"
		"commands:\n"
		"  serve -c FILE [--foreground] [-v]   run the control process\n"
		"  check-config FILE...                validate config files, print every error\n"
		"  status  [-c FILE | --url URL]       server, dataplane and journal state\n"
		"  leases  [-c FILE | --url URL]       the lease table\n"
		"  nodes   [-c FILE | --url URL]       boot progress per node\n"
		"  watch   [-c FILE | --url URL]       live terminal view (q or Ctrl-C quits)\n"
		"  summary [-c FILE | --url URL]       what a storm did: nodes booted, time, bytes\n"
		"  import  dnsmasq|dhcpd FILE [-o OUT] translate a dnsmasq.conf / dhcpd.conf\n"
		"  --help, --version\n"
		"\n"
		"The client commands read the JSON API of a running server; its URL comes\n"
		"from --url, else $BOOTSTORM_URL, else the config's http.listen (-c FILE,\n"
		"default " DEFAULT_CONFIG ").\n"
		"\n"
		"exit codes: 0 ok, 1 runtime error (server unreachable, I/O), 2 usage or\n"
		"config error.\n");
}

int
cmd_check_config(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bootstorm check-config FILE...\n");
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		struct cfg_errs errs = { 0 };
		struct cfg *c = cfg_load(argv[i], &errs);
		size_t pools = 0;

		if (!c || errs.n) {
			cfg_errs_print(&errs, stderr);
			fprintf(stderr, "%s: %zu error%s\n", argv[i], errs.n + errs.dropped,
				errs.n + errs.dropped == 1 ? "" : "s");
			bad = 1;
		} else {
			for (size_t s = 0; s < c->n_subnets; s++)
				pools += c->subnets[s].n_pools;
			printf("%s: ok: %zu subnets, %zu pools, %zu nodes, %zu profiles\n", argv[i],
			       c->n_subnets, pools, c->n_nodes, c->n_profiles);
		}
		cfg_free(c);
		cfg_errs_free(&errs);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

int
cli_api_url(const char *cfg_path, const char *url, char *out, size_t cap)
{
	const char *env = getenv("BOOTSTORM_URL");
	struct cfg_errs errs = { 0 };
	struct cfg *c;
	char ip[16];

	if (url) {
		snprintf(out, cap, "%s", url);
		goto trim;
	}
	if (!cfg_path && env && *env) {
		snprintf(out, cap, "%s", env);
		goto trim;
	}
	if (!cfg_path)
		cfg_path = DEFAULT_CONFIG;
	c = cfg_load(cfg_path, &errs);
	if (!c || errs.n) {
		cfg_errs_print(&errs, stderr);
		fprintf(stderr, "bootstorm: cannot read %s for the server URL (use --url)\n", cfg_path);
		cfg_free(c);
		cfg_errs_free(&errs);
		return -EINVAL;
	}
	/* a server listening on any address is reached on loopback */
	ks_fmt_ip(c->http_ip ? c->http_ip : 0x7f000001u, ip);
	snprintf(out, cap, "http://%s:%u", ip, c->http_port);
	cfg_free(c);
	cfg_errs_free(&errs);
trim:
	for (size_t n = strlen(out); n > 0 && out[n - 1] == '/'; n--)
		out[n - 1] = '\0';
	return 0;
}

json_t *
cli_fetch_json(const char *base, const char *path, int *err)
{
	char url[1200], *body = NULL;
	json_error_t je;
	json_t *j;
	size_t len;
	int st = 0, rc;

	snprintf(url, sizeof(url), "%s%s", base, path);
	rc = httpc_get(url, 3000, &st, &body, &len);
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	if (st != 200) {
		free(body);
		*err = -EPROTO;
		return NULL;
	}
	j = json_loadb(body, len, 0, &je);
	free(body);
	*err = j ? 0 : -EBADMSG;
	return j;
}

/* Parses [-c FILE] [--url URL]; returns the API base URL in out. */
static int
client_opts(int argc, char **argv, char *out, size_t cap)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cfg = NULL, *url = NULL;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:u:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfg = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc)
		return -EINVAL;
	return cli_api_url(cfg, url, out, cap);
}

const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

long long
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) :
	       json_is_real(v)	  ? (long long)json_real_value(v) :
				    0;
}

double
jnum(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

void
fmt_age(long long ms_ago, char *buf, size_t cap)
{
	if (ms_ago < 0)
		snprintf(buf, cap, "-");
	else if (ms_ago < 60000)
		snprintf(buf, cap, "%llds", ms_ago / 1000);
	else if (ms_ago < 3600000)
		snprintf(buf, cap, "%lldm%02llds", ms_ago / 60000, ms_ago / 1000 % 60);
	else
		snprintf(buf, cap, "%lldh%02lldm", ms_ago / 3600000, ms_ago / 60000 % 60);
}

long long
now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fetch_or_fail(const char *base, const char *path, json_t **j)
{
	int err;

	*j = cli_fetch_json(base, path, &err);
	if (!*j) {
		fprintf(stderr, "bootstorm: %s%s: %s\n", base, path,
			err == -EPROTO ? "bad HTTP answer" : strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int
cmd_status(const char *base)
{
	json_t *j, *dp, *jr, *le, *rates, *stages;
	const char *k;
	json_t *v;
	int rc = fetch_or_fail(base, "/api/status", &j);

	if (rc)
		return rc;
	dp = json_object_get(j, "dataplane");
	jr = json_object_get(j, "journal");
	le = json_object_get(j, "leases");
	rates = json_object_get(j, "rates");
	stages = json_object_get(json_object_get(j, "nodes"), "by_stage");
	printf("server      %s (bootstorm %s), up %llds, config gen %lld (%s)\n", jstr(j, "name"),
	       jstr(j, "version"), jint(j, "uptime_s"), jint(j, "config_gen"), jstr(j, "config"));
	printf("dataplane   %s, pid %lld, %lld workers\n",
	       json_is_true(json_object_get(dp, "alive")) ? "alive" : "DOWN", jint(dp, "pid"),
	       jint(dp, "workers"));
	printf("journal     %s, durable seq %lld, %lld records, %lld fsyncs (avg %.0f us, max %.0f us), %lld bytes\n",
	       json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING", jint(jr, "durable_seq"),
	       jint(jr, "records"), jint(jr, "fsyncs"), jnum(jr, "fsync_avg_us"),
	       jnum(jr, "fsync_max_us"), jint(jr, "file_bytes"));
	printf("leases      %lld bound, %lld known, capacity %lld\n", jint(le, "bound"),
	       jint(le, "used"), jint(le, "cap"));
	printf("rates       %.1f DHCP/s, %.2f MB/s TFTP, %.1f HTTP req/s\n", jnum(rates, "dhcp_per_s"),
	       jnum(rates, "tftp_mbytes_per_s"), jnum(rates, "http_per_s"));
	printf("nodes      ");
	json_object_foreach(stages, k, v)
		printf(" %s=%lld", k, (long long)json_integer_value(v));
	printf("\n");
	json_decref(j);
	return EXIT_OK;
}

static int
cmd_leases(const char *base)
{
	json_t *j, *v;
	size_t i;
	long long now = now_wall_ms();
	int rc = fetch_or_fail(base, "/api/leases", &j);

	if (rc)
		return rc;
	printf("%-15s  %-17s  %-8s  %-10s  %-8s  %-16s  %s\n", "IP", "MAC", "STATE", "EXPIRES",
	       "SEQ", "HOSTNAME", "NODE");
	json_array_foreach(json_object_get(j, "leases"), i, v) {
		char exp[32];
		long long e = jint(v, "expires_ms");

		fmt_age(e > now ? e - now : -1, exp, sizeof(exp));
		printf("%-15s  %-17s  %-8s  %-10s  %-8lld  %-16s  %s\n", jstr(v, "ip"), jstr(v, "mac"),
		       jstr(v, "state"), e > now ? exp : "expired", jint(v, "seq"),
		       jstr(v, "hostname"), jstr(v, "node"));
	}
	printf("%zu leases\n", json_array_size(json_object_get(j, "leases")));
	json_decref(j);
	return EXIT_OK;
}

static int
cmd_nodes(const char *base)
{
	json_t *j, *v;
	size_t i;
	long long now = now_wall_ms();
	int rc = fetch_or_fail(base, "/api/nodes", &j);

	if (rc)
		return rc;
	printf("%-12s  %-17s  %-15s  %-10s  %-13s  %-24s  %8s  %s\n", "NAME", "MAC", "IP", "PROFILE",
	       "STAGE", "FILE", "PROGRESS", "LAST-SEEN");
	json_array_foreach(json_object_get(j, "nodes"), i, v) {
		char age[32], prog[16];
		long long seen = jint(v, "last_seen_ms");

		fmt_age(seen ? now - seen : -1, age, sizeof(age));
		if (json_is_number(json_object_get(v, "progress")))
			snprintf(prog, sizeof(prog), "%.0f%%", jnum(v, "progress"));
		else
			snprintf(prog, sizeof(prog), "-");
		printf("%-12s  %-17s  %-15s  %-10s  %-13s  %-24.24s  %8s  %s\n", jstr(v, "name"),
		       jstr(v, "mac"), jstr(v, "ip"), jstr(v, "profile"), jstr(v, "stage"),
		       jstr(v, "file"), prog, age);
	}
	json_decref(j);
	return EXIT_OK;
}

/* ---- summary ----------------------------------------------------------- */

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Decimal units, as `status` and watch's rates line print MB/s. */
void
fmt_bytes(double b, char *out, size_t cap)
{
	if (b < 1e3)
		snprintf(out, cap, "%.0f B", b);
	else if (b < 1e6)
		snprintf(out, cap, "%.1f kB", b / 1e3);
	else if (b < 1e9)
		snprintf(out, cap, "%.1f MB", b / 1e6);
	else
		snprintf(out, cap, "%.2f GB", b / 1e9);
}

/* Value of the unlabelled sample `name VALUE` in Prometheus text, or -1.
 * /metrics is the one place control exports HTTP body bytes. */
static long long
metric_value(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, name, n) == 0 && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	}
	return -1;
}

static void
fmt_ms(long long ms, char *out, size_t cap)
{
	if (ms < 1000)
		snprintf(out, cap, "%lld ms", ms);
	else
		snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
}

static bool
stage_is(json_t *v, const char *stage)
{
	return strcmp(jstr(v, "stage"), stage) == 0;
}

static bool
is_done(json_t *v)
{
	return stage_is(v, "done");
}

static bool
is_failed(json_t *v)
{
	return stage_is(v, "failed") || stage_is(v, "tftp-failed");
}

static bool
is_unfinished(json_t *v)
{
	return !stage_is(v, "none") && !stage_is(v, "done") && !stage_is(v, "tftp-done") &&
	       !is_failed(v);
}

/* Up to `max` names of the nodes pick() selects: "a, b, c, ...". */
static void
names_in(json_t *nodes, bool (*pick)(json_t *), char *out, size_t cap, int max)
{
	size_t i, off = 0;
	int k = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(nodes, i, v) {
		const char *name;
		int w;

		if (!pick(v))
			continue;
		name = json_is_string(json_object_get(v, "name")) ? jstr(v, "name") : jstr(v, "mac");
		if (k++ == max) {
			snprintf(out + off, cap - off, ", ...");
			break;
		}
		w = snprintf(out + off, cap - off, "%s%s", off ? ", " : "", name);
		if (w < 0 || (size_t)w >= cap - off)
			break;
		off += (size_t)w;
	}
}

/*
 * After a storm: how many nodes finished and how, how long it took, what
 * was served.  "Booted" is `done` (the installer reported back over the
 * API) or `tftp-done` (every boot file was served; a node without an
 * installer, e.g. a simulated one, stops there).  Times come from the boot
 * view: per node, first sighting (its first DHCP message) to the moment it
 * entered its final stage.
 */
static int
cmd_summary(const char *base)
{
	json_t *st = NULL, *cj = NULL, *nj = NULL, *ctr, *arr, *v, *http, *le, *jr, *dp;
	long long *times = NULL, first = 0, last = 0, n_done = 0, n_tftp = 0, n_failed = 0;
	long long n_busy = 0, n_seen = 0, n_inv = 0, n_unknown = 0, reqs = 0, errs = 0;
	char *metrics = NULL, b1[32], b2[32], names[256];
	const char *slow = "-", *k;
	size_t i, nt = 0, mlen;
	int hst = 0, rc;

	rc = fetch_or_fail(base, "/api/status", &st);
	if (!rc)
		rc = fetch_or_fail(base, "/api/counters", &cj);
	if (!rc)
		rc = fetch_or_fail(base, "/api/nodes", &nj);
	if (rc)
		goto out;
	{
		char url[1200];

		snprintf(url, sizeof(url), "%s/metrics", base);
		if (httpc_get(url, 3000, &hst, &metrics, &mlen) < 0 || hst != 200) {
			free(metrics);
			metrics = NULL;
		}
	}
	ctr = json_object_get(cj, "counters");
	arr = json_object_get(nj, "nodes");
	times = calloc(json_array_size(arr) + 1, sizeof(*times));
	if (!times) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	json_array_foreach(arr, i, v) {
		bool inv = json_is_string(json_object_get(v, "name"));
		long long fs = jint(v, "first_seen_ms"), ss = jint(v, "stage_since_ms");

		n_inv += inv;
		if (stage_is(v, "none"))
			continue; /* an inventory node that never showed up */
		n_seen++;
		n_unknown += !inv;
		if (fs && (!first || fs < first))
			first = fs;
		if (stage_is(v, "done") || stage_is(v, "tftp-done")) {
			n_done += stage_is(v, "done");
			n_tftp += stage_is(v, "tftp-done");
			if (ss > last)
				last = ss;
			if (fs && ss >= fs)
				times[nt++] = ss - fs;
		} else if (stage_is(v, "failed") || stage_is(v, "tftp-failed")) {
			n_failed++;
		} else {
			n_busy++;
		}
	}
	/* the slowest node, named */
	{
		long long worst = -1;

		json_array_foreach(arr, i, v) {
			long long fs = jint(v, "first_seen_ms"), ss = jint(v, "stage_since_ms");

			if (!(stage_is(v, "done") || stage_is(v, "tftp-done")) || !fs || ss < fs)
				continue;
			if (ss - fs > worst) {
				worst = ss - fs;
				slow = json_is_string(json_object_get(v, "name")) ? jstr(v, "name") : jstr(v, "mac");
			}
		}
	}
	qsort(times, nt, sizeof(*times), cmp_ll);

	printf("bootstorm summary: %s (bootstorm %s), server up %llds\n", jstr(st, "name"),
	       jstr(st, "version"), jint(st, "uptime_s"));
	printf("nodes       %lld seen (%lld of %lld inventory nodes, %lld unknown clients)\n", n_seen,
	       n_seen - n_unknown, n_inv, n_unknown);
	names_in(arr, is_done, names, sizeof(names), 6);
	printf("booted      %lld: %lld done (installer reported%s%s), %lld tftp-done (boot files served)\n",
	       n_done + n_tftp, n_done, n_done ? ": " : "", names, n_tftp);
	names_in(arr, is_failed, names, sizeof(names), 6);
	printf("failed      %lld%s%s\n", n_failed, n_failed ? ": " : "", names);
	names_in(arr, is_unfinished, names, sizeof(names), 6);
	printf("unfinished  %lld%s%s\n", n_busy, n_busy ? ": " : "", names);
	if (nt) {
		char p50[24], p90[24], mx[24];

		fmt_ms(times[(nt - 1) / 2], p50, sizeof(p50));
		fmt_ms(times[(size_t)((double)(nt - 1) * 0.9)], p90, sizeof(p90));
		fmt_ms(times[nt - 1], mx, sizeof(mx));
		printf("elapsed     %.1f s from the first DHCP message to the last node booted; "
		       "per node p50 %s, p90 %s, max %s (%s)\n",
		       (double)(last - first) / 1000.0, p50, p90, mx, slow);
	} else {
		printf("elapsed     - (no node booted)\n");
	}
	le = json_object_get(st, "leases");
	printf("DHCP        %lld leases bound (%lld in the table, capacity %lld); "
	       "DISCOVER %lld, REQUEST %lld -> OFFER %lld, ACK %lld, NAK %lld\n",
	       jint(le, "bound"), jint(le, "used"), jint(le, "cap"), jint(ctr, bs_ctr_name[BS_CTR_DHCP_RX_DISCOVER]),
	       jint(ctr, bs_ctr_name[BS_CTR_DHCP_RX_REQUEST]), jint(ctr, bs_ctr_name[BS_CTR_DHCP_TX_OFFER]), jint(ctr, bs_ctr_name[BS_CTR_DHCP_TX_ACK]),
	       jint(ctr, bs_ctr_name[BS_CTR_DHCP_TX_NAK]));
	fmt_bytes((double)jint(ctr, bs_ctr_name[BS_CTR_TFTP_PAYLOAD_BYTES]), b1, sizeof(b1));
	printf("TFTP        %s served in %lld transfers (%lld failed, %lld DATA retransmitted, "
	       "%lld not-found answers)\n",
	       b1, jint(ctr, bs_ctr_name[BS_CTR_TFTP_XFER_DONE]), jint(ctr, bs_ctr_name[BS_CTR_TFTP_XFER_FAILED]),
	       jint(ctr, bs_ctr_name[BS_CTR_TFTP_TX_RETRANS]), jint(ctr, bs_ctr_name[BS_CTR_TFTP_ERR_NOT_FOUND]));
	http = json_object_get(st, "http");
	json_object_foreach(http, k, v) {
		long long n = json_integer_value(v);

		reqs += n;
		if (k[0] == '4' || k[0] == '5' || strcmp(k, "other") == 0)
			errs += n;
	}
	if (metrics && metric_value(metrics, "bootstorm_http_body_bytes_total") >= 0)
		fmt_bytes((double)metric_value(metrics, "bootstorm_http_body_bytes_total"), b2, sizeof(b2));
	else
		snprintf(b2, sizeof(b2), "-");
	/* control counts every request, the API polls of `watch` included */
	printf("HTTP        %s served in %lld requests (boot files, kickstarts, reports and API "
	       "calls; %lld answered 4xx/5xx)\n", b2, reqs, errs);
	jr = json_object_get(st, "journal");
	printf("journal     %s, %lld lease records, %lld fsyncs\n",
	       json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING", jint(jr, "records"),
	       jint(jr, "fsyncs"));
	dp = json_object_get(st, "dataplane");
	printf("dataplane   %s, %lld worker%s, %lld packets dropped",
	       json_is_true(json_object_get(dp, "alive")) ? "alive" : "DOWN", jint(dp, "workers"),
	       jint(dp, "workers") == 1 ? "" : "s", jint(json_object_get(st, "counters"), "drops"));
	{
		int shown = 0;

		/* the reasons, named: a drop is only alarming when its reason is */
		for (unsigned ci = 0; ci < BS_CTR_MAX; ci++) {
			long long n = jint(ctr, bs_ctr_name[ci]);

			if (!bs_ctr_is_drop((enum bs_ctr)ci) || n == 0)
				continue;
			printf("%s%s %lld", shown ? ", " : " (", bs_ctr_name[ci], n);
			if (++shown == 4)
				break;
		}
		printf("%s\n", shown ? ")" : "");
	}
out:
	free(times);
	free(metrics);
	json_decref(st);
	json_decref(cj);
	json_decref(nj);
	return rc;
}

int
cli_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	char base[1024];

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(cmd ? stdout : stderr);
		return cmd ? EXIT_OK : EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("bootstorm %s\n", BS_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "leases") == 0 || strcmp(cmd, "nodes") == 0 ||
	    strcmp(cmd, "summary") == 0) {
		if (client_opts(argc - 1, argv + 1, base, sizeof(base)) < 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
		if (strcmp(cmd, "status") == 0)
			return cmd_status(base);
		if (strcmp(cmd, "leases") == 0)
			return cmd_leases(base);
		if (strcmp(cmd, "summary") == 0)
			return cmd_summary(base);
		return cmd_nodes(base);
	}
	fprintf(stderr, "bootstorm: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}

int
cli_client_base(int argc, char **argv, char *out, size_t cap)
{
	return client_opts(argc, argv, out, cap);
}
