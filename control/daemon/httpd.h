/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The HTTP server (libmicrohttpd, epoll, a small thread pool):
 *   /repo/<path>        files under http.repo_root (sendfile, Range, HEAD,
 *                       If-Modified-Since, keep-alive)
 *   /boot/<path>        tftp-gen then tftp.root, for iPXE/UEFI HTTP boot
 *   /ks/<node>, /ks     rendered kickstart, authorised (control/daemon/kickstart.h)
 *   /ipxe/<node>, /ipxe/boot   rendered iPXE script
 *   /api/..., /metrics  control/daemon/api.c
 * Every error answer has a status code and one sanitised log line.
 */
#ifndef BS_CONTROL_HTTPD_H
#define BS_CONTROL_HTTPD_H

#include "control/daemon/ctl.h"

#define HTTP_CONN_TIMEOUT_S  15u	  /* idle connection (slowloris) */
/* A file body in flight: no byte taken by the client's TCP for this long
 * closes it (nginx's send_timeout and Apache's Timeout default to 60 s).
 * Longer than the idle timeout because a stall there is the network's
 * (a lossy path backs TCP's retransmission timer off: 0.2 s doubling,
 * 25 s after 7 losses in a row), not a client that keeps a slot: issue 16's
 * punt run lost 3 of 600 downloads to the 15 s one.  The request (headers,
 * body) and the idle keep-alive keep HTTP_CONN_TIMEOUT_S (slowloris). */
#define HTTP_SEND_TIMEOUT_S  60u
#define HTTP_CONN_MEMORY     (32u << 10) /* per-connection pool: bounds request headers */
#define HTTP_THREADS	     4u
#define HTTP_MAX_BODY	     (64u << 10) /* POST bodies (done/failed) are discarded past this */

int httpd_start(struct ctl *c);
void httpd_stop(struct ctl *c);

#endif
