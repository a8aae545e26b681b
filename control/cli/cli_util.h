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
 * 0, 1 for --help, or -EINVAL. */
int cli_client_base(int argc, char **argv, char *out, size_t cap);
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
/* cli_fetch_json, or a message on stderr: EXIT_OK or EXIT_RUNTIME. */
int cli_fetch_or_fail(const char *base, const char *path, json_t **j);

const char *jstr(json_t *o, const char *k);
long long jint(json_t *o, const char *k);
double jnum(json_t *o, const char *k);
void fmt_age(long long ms_ago, char *buf, size_t cap);
/* Bytes in decimal units: "512 B", "1.5 kB", "7.3 MB", "42.00 GB". */
void fmt_bytes(double b, char *out, size_t cap);

#endif
