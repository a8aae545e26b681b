/* SPDX-License-Identifier: BSD-3-Clause
 *
 * File bodies in wider sendfile() calls.  libmicrohttpd 0.9.75 sends an fd
 * response in sendfile() calls of 128 KiB in its thread-pool modes (2 MiB only
 * with a thread per connection, MHD_SENFILE_CHUNK_ in mhd_send.c); nginx sends
 * up to 2 MiB (sendfile_max_chunk).  On the lab (veth, no segmentation offload)
 * the per-call cost made control take ~1.5x nginx's CPU per byte
 * (tests/perf/http_ctl.sh); the same binary with 2 MiB calls took less than
 * nginx.  So the process defines sendfile64(), which libmicrohttpd's calls bind
 * to ahead of libc's (an executable's definition comes first in the dynamic
 * lookup): a call whose in_fd httpd registered with http_send_fd_response() is
 * widened up to HTTP_SENDFILE_WIDE, always leaving libmicrohttpd its own last
 * call of the response (the one after which it uncorks and pushes the tail).
 * Any other call, or a libmicrohttpd that calls something else, is unchanged:
 * libmicrohttpd still owns the connection, headers, keep-alive and timeouts.
 */
#ifndef BS_CONTROL_HTTPSEND_H
#define BS_CONTROL_HTTPSEND_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_SENDFILE_WIDE (2u << 20)

struct MHD_Response;

/* MHD_create_response_from_fd_at_offset64(len, fd, start), with fd's bytes
 * [start, start + len) registered for wide sendfile calls.  NULL on failure
 * (fd still the caller's then, as with libmicrohttpd). */
struct MHD_Response *http_send_fd_response(uint64_t len, int fd, uint64_t start);

/* The count to send for a call of n bytes at file offset off of a body that
 * ends at end (0: not registered): n, or more up to wide while at least n
 * bytes stay for the caller's own next call.  Pure. */
size_t http_send_widen(size_t n, uint64_t off, uint64_t end, size_t wide);

#endif
