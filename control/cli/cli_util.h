/* SPDX-License-Identifier: BSD-3-Clause
 * Helpers shared by the client commands (cli.c) and the live view (watch.c). */
#ifndef BS_CONTROL_CLI_UTIL_H
#define BS_CONTROL_CLI_UTIL_H

#include <jansson.h>
#include <stddef.h>

/* API base URL from --url / $BOOTSTORM_URL / the config's http listen. */
int cli_api_url(const char *cfg_path, const char *url, char *out, size_t cap);
/* Parses [-c FILE] [--url URL] of argv (argv[0] = command) into out. */
int cli_client_base(int argc, char **argv, char *out, size_t cap);
/* GET base+path as JSON; NULL with *err = -errno on failure. */
json_t *cli_fetch_json(const char *base, const char *path, int *err);

const char *jstr(json_t *o, const char *k);
long long jint(json_t *o, const char *k);
double jnum(json_t *o, const char *k);
void fmt_age(long long ms_ago, char *buf, size_t cap);
/* Bytes in decimal units: "512 B", "1.5 kB", "7.3 MB", "42.00 GB". */
void fmt_bytes(double b, char *out, size_t cap);
long long now_wall_ms(void);

#endif
