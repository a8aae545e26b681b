/* SPDX-License-Identifier: BSD-3-Clause
 * Helpers shared by the client commands (cli.c, summary.c) and the live
 * view (watch.c): where the server is, fetching its JSON API (libcurl), and
 * formatting what it answers. */
#ifndef BS_CONTROL_CLI_UTIL_H
#define BS_CONTROL_CLI_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#define CLI_DEFAULT_CONFIG "/etc/bootstorm/bootstorm.yaml"
#define CLI_MAX_BODY	   (64u << 20)	/* bytes of one API answer */
#define CLI_TIMEOUT_MS	   3000

/* The usage text of every subcommand. */
void cli_usage(FILE *f);

/* API base URL from --url / $BOOTSTORM_URL / the config's http listen. */
int cli_api_url(const char *cfg_path, const char *url, char *out, size_t cap);
/* Parses [-c FILE] [--url URL] of argv (argv[0] = command) into out.
 * 0, 1 for --help, or -EINVAL (also for any positional argument). */
int cli_client_base(int argc, char **argv, char *out, size_t cap);

/* One option a client command takes besides the shared -c/--config,
 * -u/--url and -h/--help: its long name, its key (the short letter, and
 * what on_opt is called with), whether it takes a value, and whether the
 * one-letter form -key is accepted too.  A table ends with key 0; c, u, h,
 * '?' and ':' are taken. */
struct cli_opt {
	const char *name;
	int key;
	bool arg;
	bool short_ok;
};

/* What cli_client_parse found: -c and --url (NULL when not given), and
 * where the positional arguments start: argv[first..argc) (getopt_long
 * moves them behind the options, so "campaign status ID -c F" works). */
struct cli_args {
	const char *cfg, *url;
	int first;
};

/* The option loop of every client command: the shared options, plus own
 * (NULL: none; at most CLI_MAX_OPTS rows), calling on_opt(ctx, key, value)
 * for each of own's in the order given (value NULL for a flag).  Positional
 * arguments are left to the caller, who checks them before resolving the
 * URL (cli_api_url(a->cfg, a->url, ...)).  Returns 0, CLI_EXIT_HELP for
 * --help, CLI_EXIT_USAGE_TEXT for an unknown option or a missing value
 * (getopt has said which on stderr), or on_opt's first non-zero return. */
#define CLI_MAX_OPTS 16
int cli_client_parse(int argc, char **argv, const struct cli_opt *own,
		     int (*on_opt)(void *ctx, int key, const char *val), void *ctx,
		     struct cli_args *a);
/* GET base+path as JSON; NULL with *err = -errno on failure (-EPROTO: not
 * HTTP or not 200, -EBADMSG: not JSON, -ETIMEDOUT, -ECONNREFUSED). */
/* Sends "Authorization: Bearer token" with every later request (NULL or
 * "": none): the admin API's token (http.admin_token_file). */
void cli_set_bearer(const char *token);
/* One request to the API (GET, or POST with an empty body) through libcurl,
 * with the bearer token when one is set: 0 with *status and the body
 * (malloc'd, NUL terminated, any status), or -errno. */
int cli_http(const char *url, bool post, long timeout_ms, long *status, char **body, size_t *len);
json_t *cli_fetch_json(const char *base, const char *path, int *err);
/* POSTs to url (empty body, 30 s): 0 with *status, the answer's text in
 * *body (free() it) and its JSON in *j (NULL when not JSON; json_decref
 * it); or EXIT_RUNTIME with the reason on stderr (nothing to free). */
int cli_post_json(const char *url, long *status, json_t **j, char **body);
/* The "error" string of an API answer, else its raw text. */
const char *cli_answer_error(json_t *j, const char *body);
/* cli_fetch_json, or a message on stderr: EXIT_OK or EXIT_RUNTIME. */
int cli_fetch_or_fail(const char *base, const char *path, json_t **j);

const char *jstr(json_t *o, const char *k);
long long jint(json_t *o, const char *k);
double jnum(json_t *o, const char *k);
void fmt_age(long long ms_ago, char *buf, size_t cap);
/* Bytes in decimal units: "512 B", "1.5 kB", "7.3 MB", "42.00 GB". */
void fmt_bytes(double b, char *out, size_t cap);

#endif
