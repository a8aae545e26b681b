/* SPDX-License-Identifier: BSD-3-Clause
 * A minimal blocking HTTP/1.0 client for the CLI (GET of the JSON API of a
 * local server): no TLS, no redirects, bounded size and time. */
#ifndef BS_CONTROL_HTTPC_H
#define BS_CONTROL_HTTPC_H

#include <stddef.h>

#define HTTPC_MAX_BODY (64u << 20)

/* GETs url ("http://host[:port]/path").  On 0, *body is malloc'd and NUL
 * terminated.  Returns 0 or -errno (-EPROTO: not HTTP, -ETIMEDOUT). */
/* Sends "Authorization: Bearer token" with every later request (NULL:
 * none): the admin API's token (http.admin_token_file). */
void httpc_set_bearer(const char *token);

int httpc_get(const char *url, int timeout_ms, int *status, char **body, size_t *len);

#endif
