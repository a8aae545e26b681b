/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Pure helpers of the HTTP server, apart from libmicrohttpd so the unit
 * tests drive them directly: Range parsing (RFC 9110 section 14), path
 * resolution that never leaves a root, content types, HTTP dates.
 */
#ifndef BS_CONTROL_HTTPUTIL_H
#define BS_CONTROL_HTTPUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

enum range_res {
	RANGE_NONE = 0,		/* absent, or ignored: serve 200 with the whole file */
	RANGE_OK,		/* serve 206 with [*start, *start + *len) */
	RANGE_UNSATISFIABLE,	/* serve 416 with Content-Range: bytes * / size */
	RANGE_RES_MAX
};

/* Interprets a Range header value for a representation of `size` bytes.
 * Only one "bytes" range is honoured: RFC 9110 14.2 lets a server ignore a
 * Range it does not want to serve, so multiple ranges, other units and
 * malformed values give RANGE_NONE rather than an error. */
enum range_res http_range_parse(const char *hdr, uint64_t size, uint64_t *start,
				uint64_t *len);

/* Opens url_path (already %-decoded, e.g. "/centos7/vmlinuz") below the
 * directory root_fd, read-only, and stats it.  Refuses anything that would
 * leave the root: ".." segments, absolute symlinks, symlinks that climb out
 * (openat2 RESOLVE_BENEATH; a realpath check where openat2 is missing).
 * Returns 0 with *fd (caller closes) and *st, or
 *   -EACCES  escape attempt, or not a regular file/directory
 *   -EISDIR  a directory (listings are off)
 *   -ENOENT  nothing there (and other open errors as -errno). */
int http_open_beneath(int root_fd, const char *url_path, int *fd, struct stat *st);

/* True when a path has a ".." segment (before or after decoding). */
bool http_path_has_dotdot(const char *path);

/* Content type by file extension; "application/octet-stream" if unknown. */
const char *http_content_type(const char *path);

/* IMF-fixdate (RFC 9110 5.6.7) of t into buf (>= 30 bytes). */
void http_date_fmt(time_t t, char *buf, size_t cap);
/* Parses an IMF-fixdate; false if it is not one (the header is ignored). */
bool http_date_parse(const char *s, time_t *t);

#endif
