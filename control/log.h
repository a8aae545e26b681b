/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control-side logging: one line per message on stderr (journald/tmux friendly)
 * with the same levels as the dataplane's rte_log types.  Thread safe (one
 * fprintf per line).  Anything a client sent goes through log_sanitize()
 * first so a request can never forge log lines or inject terminal escapes.
 */
#ifndef BS_CONTROL_LOG_H
#define BS_CONTROL_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_MAX
};

extern int ctl_log_level;	/* messages above it are dropped */

void ctl_log(enum log_level lvl, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_ERR(mod, ...)   ctl_log(LOG_LVL_ERR, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...)  ctl_log(LOG_LVL_WARN, mod, __VA_ARGS__)
#define LOG_INFO(mod, ...)  ctl_log(LOG_LVL_INFO, mod, __VA_ARGS__)
#define LOG_DEBUG(mod, ...) ctl_log(LOG_LVL_DEBUG, mod, __VA_ARGS__)

/* Copies at most cap-1 bytes of src into dst, replacing every byte outside
 * printable ASCII (and the backslash) by \xNN; truncation is marked "...".
 * Always NUL terminates (cap > 0).  Returns dst. */
char *log_sanitize(char *dst, size_t cap, const char *src);

#endif
