/* SPDX-License-Identifier: BSD-3-Clause
 * Helpers of the client commands (control/cli/cli_util.h). */
#include "control/cli/cli_util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "control/cli/cli.h"
#include "control/daemon/kickstart.h"
#include "control/exit.h"
#include "control/log.h"

void
cli_usage(FILE *f)
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
		"  reimage NODES... [--profile P] | --all   next netboot installs (then local)\n"
		"      [--power] [--max-in-flight N] [--rate R] [--dhcp-deadline S]\n"
		"      [--install-deadline S] [--max-repower K]\n"
		"                                      --power: a campaign powering the nodes\n"
		"                                      through their BMCs, paced, with deadlines\n"
		"  reimage NODES... | --all --fleet -c FILE [--rate R] [--max-in-flight N]\n"
		"      [--server-rate R] [--server-in-flight N] [--name NAME] [--no-power]\n"
		"                                      a fleet-wide campaign in the fleet database\n"
		"  campaign [-c FILE|--url URL] list | status ID | watch ID | cancel ID |\n"
		"      retry-failed ID                 reimage campaigns of the server\n"
		"  localboot NODES... | --all        next netboot boots the local disk\n"
		"                                      NODES: names, node[001-099], a,b,...\n"
		"  discovered [--json]                 PXE/DHCP clients not in the inventory\n"
		"  enroll MAC --name NODE [--profile P] [--ip ADDR]   add one to discovery.enrolled, reload\n"
		"  power [-c FILE] NODES|--all status|on|off|cycle|pxe|boot\n"
		"                                      BMC power / next boot PXE once (local)\n"
		"  console [-c FILE] NODE [--follow]   the node's captured serial console (local)\n"
		"  db init|migrate|status|import-inventory [-c FILE]   fleet database\n"
		"  fleet [-c FILE] [--json]            every server of the fleet (database)\n"
		"  fleet campaigns | campaign NAME [--json] | campaign NAME cancel|retry-failed\n"
		"                                      fleet-wide campaigns (database)\n"
		"  --help, --version\n"
		"\n"
		"The client commands read the JSON API of a running server; its URL comes\n"
		"from --url, else $BOOTSTORM_URL, else the config's http.listen (-c FILE,\n"
		"default " CLI_DEFAULT_CONFIG ").\n"
		"\n"
		"exit codes: 0 ok, 1 runtime error (server unreachable, I/O), 2 usage or\n"
		"config error.\n");
}

int
cli_api_url(const char *cfg_path, const char *url, char *out, size_t cap)
{
	const char *env = getenv("BOOTSTORM_URL");
	struct cfg_errs errs = { 0 };
	struct cfg *c;
	struct in_addr a;
	char ip[INET_ADDRSTRLEN], tok[512];

	if (url) {
		snprintf(out, cap, "%s", url);
		if (!cfg_path) /* -c with --url: the token still comes from the config */
			goto trim;
	}
	if (!cfg_path && env && *env) {
		snprintf(out, cap, "%s", env);
		goto trim;
	}
	if (!cfg_path)
		cfg_path = CLI_DEFAULT_CONFIG;
	c = cfg_load(cfg_path, &errs);
	if ((!c || errs.n) && url) {
		cfg_free(c);
		cfg_errs_free(&errs);
		goto trim;
	}
	if (!c || errs.n) {
		cfg_errs_print(&errs, stderr);
		fprintf(stderr, "bootstorm: cannot read %s for the server URL (use --url)\n", cfg_path);
		cfg_free(c);
		cfg_errs_free(&errs);
		return -EINVAL;
	}
	/* the admin API's token (unreadable for non-root: local access may do) */
	if (c->admin_token_file && ks_read_secret_file(c->admin_token_file, tok, sizeof(tok)) > 0)
		cli_set_bearer(tok);
	explicit_bzero(tok, sizeof(tok));
	/* a server listening on any address is reached on loopback */
	a.s_addr = htonl(c->http_ip ? c->http_ip : 0x7f000001u);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (!url)
		snprintf(out, cap, "http://%s:%u", ip, c->http_port);
	cfg_free(c);
	cfg_errs_free(&errs);
trim:
	for (size_t n = strlen(out); n > 0 && out[n - 1] == '/'; n--)
		out[n - 1] = '\0';
	return 0;
}

int
cli_client_parse(int argc, char **argv, const struct cli_opt *own,
		 int (*on_opt)(void *ctx, int key, const char *val), void *ctx, struct cli_args *a)
{
	struct option lo[CLI_MAX_OPTS + 4] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
	};
	char so[3 * CLI_MAX_OPTS + 8] = "c:u:h";
	size_t nl = 3, ns = strlen(so);
	int o, rc;

	for (size_t k = 0; own && own[k].key; k++) {
		const struct cli_opt *x = &own[k];

		if (k == CLI_MAX_OPTS)
			return CLI_EXIT_USAGE_TEXT; /* a table too long: the command's bug */
		lo[nl++] = (struct option){ x->name, x->arg ? required_argument : no_argument, NULL, x->key };
		if (x->short_ok) {
			so[ns++] = (char)x->key;
			if (x->arg)
				so[ns++] = ':';
		}
	}
	lo[nl] = (struct option){ 0 };
	so[ns] = '\0';
	a->cfg = a->url = NULL;
	optind = 0; /* glibc: a full restart, even after a parse that stopped midway */
	while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (o) {
		case 'c':
			a->cfg = optarg;
			break;
		case 'u':
			a->url = optarg;
			break;
		case 'h':
			return CLI_EXIT_HELP;
		case '?':
		case ':':
			return CLI_EXIT_USAGE_TEXT;
		default:
			if ((rc = on_opt(ctx, o, optarg)) != 0)
				return rc;
		}
	}
	a->first = optind;
	return 0;
}

int
cli_client_base(int argc, char **argv, char *out, size_t cap)
{
	struct cli_args a;
	int rc = cli_client_parse(argc, argv, NULL, NULL, NULL, &a);

	if (rc == CLI_EXIT_HELP)
		return 1;
	if (rc || a.first != argc)
		return -EINVAL;
	return cli_api_url(a.cfg, a.url, out, cap);
}

/* ---- HTTP GET (libcurl) ------------------------------------------------ */

static char bearer[512];

void
cli_set_bearer(const char *token)
{
	snprintf(bearer, sizeof(bearer), "%s", token ? token : "");
}

struct body {
	char *p;
	size_t len;
	bool too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *np;

	if (n > CLI_MAX_BODY - b->len) {
		b->too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	np = realloc(b->p, b->len + n + 1);
	if (!np)
		return 0;
	memcpy(np + b->len, ptr, n);
	b->p = np;
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* libcurl's result as the -errno the commands print. */
static int
curl_errno(CURLcode cc, const struct body *b)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_WRITE_ERROR:
		return b->too_big ? -E2BIG : -ENOMEM;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return -ECONNRESET;
	default:
		return -EPROTO;
	}
}

int
cli_http(const char *url, bool post, long timeout_ms, long *status, char **body, size_t *len)
{
	static bool inited;
	struct body b = { 0 };
	struct curl_slist *hdrs = NULL;
	char auth[600];
	CURLcode cc;
	CURL *h;
	int rc;

	*status = 0;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
			return -ENOMEM;
		inited = true;
	}
	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	/* plain HTTP to the local API: no redirects, no proxy from the
	 * environment, bounded time and size */
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLI_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (post)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	if (bearer[0]) { /* the admin API's token (http.admin_token_file) */
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(NULL, auth);
		explicit_bzero(auth, sizeof(auth));
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	rc = curl_errno(cc, &b);
	if (rc == 0 && !b.p)
		b.p = calloc(1, 1);
	if (rc < 0 || !b.p) {
		free(b.p);
		return rc < 0 ? rc : -ENOMEM;
	}
	*body = b.p;
	*len = b.len;
	return 0;
}

/* GETs url: 0 with the body (malloc'd, NUL terminated) of a 200 answer. */
static int
http_get(const char *url, char **body, size_t *len)
{
	long status;
	int rc = cli_http(url, false, CLI_TIMEOUT_MS, &status, body, len);

	if (rc == 0 && status != 200) {
		free(*body);
		*body = NULL;
		return -EPROTO;
	}
	return rc;
}

int
cli_post_json(const char *url, long *status, json_t **j, char **body)
{
	size_t len = 0;
	int err;

	*j = NULL;
	*body = NULL;
	err = cli_http(url, true, 30000L, status, body, &len);
	if (err < 0) {
		fprintf(stderr, "bootstorm: %s: %s\n", url, strerror(-err));
		return EXIT_RUNTIME;
	}
	*j = json_loads(*body, 0, NULL);
	return 0;
}

const char *
cli_answer_error(json_t *j, const char *body)
{
	const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

	return e ? e : body;
}

json_t *
cli_fetch_json(const char *base, const char *path, int *err)
{
	char url[1200], *body = NULL;
	json_error_t je;
	json_t *j;
	size_t len = 0;
	int rc;

	snprintf(url, sizeof(url), "%s%s", base, path);
	rc = http_get(url, &body, &len);
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	j = json_loadb(body, len, 0, &je);
	free(body);
	*err = j ? 0 : -EBADMSG;
	return j;
}

int
cli_fetch_or_fail(const char *base, const char *path, json_t **j)
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

/* ---- JSON and formatting ----------------------------------------------- */

const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (!s)
		return "-";
	/* Values come from clients too (URL paths, TFTP names, hostnames): a
	 * terminal never gets their control bytes, only \xNN (issue 15 #9). */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f) {
			char clean[512];

			log_sanitize(clean, sizeof(clean), s);
			json_object_set_new(o, k, json_string(clean));
			s = json_string_value(json_object_get(o, k));
			return s ? s : "-";
		}
	}
	return s;
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
