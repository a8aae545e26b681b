/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The live web view (control/web/index.html), embedded at build time by
 * embed.py.  Serve it as text/html at "/"; it polls /api/status and
 * /api/nodes every second.  The array has a NUL after the last byte, not
 * counted in bs_web_index_html_len.
 */
#ifndef BS_CONTROL_WEB_H
#define BS_CONTROL_WEB_H

#include <stddef.h>

extern const unsigned char bs_web_index_html[];
extern const size_t bs_web_index_html_len;

#endif
