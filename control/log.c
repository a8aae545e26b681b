/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/bs_time.h"

int ctl_log_level = LOG_LVL_INFO;

static const char *const lvl_name[LOG_LVL_MAX] = {
	[LOG_LVL_ERR] = "ERR",
	[LOG_LVL_WARN] = "WARN",
	[LOG_LVL_INFO] = "INFO",
	[LOG_LVL_DEBUG] = "DEBUG",
};

void
ctl_log(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	char msg[1024], ts[32];
	uint64_t now = bs_real_ms();
	time_t sec = (time_t)(now / 1000);
	struct tm tm;
	va_list ap;

	if ((int)lvl > ctl_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf so concurrent threads never interleave inside a line. */
	fprintf(stderr, "%s.%03ldZ %s bootstorm.%s: %s\n", ts, (long)(now % 1000),
		lvl < LOG_LVL_MAX ? lvl_name[lvl] : "?", mod, msg);
}

char *
log_sanitize(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap == 0)
		return dst;
	for (; src && *src; src++) {
		unsigned char ch = (unsigned char)*src;
		int plain = ch >= 0x20 && ch < 0x7f && ch != '\\';
		size_t need = plain ? 1 : 4;

		if (o + need + 4 > cap) { /* keep room for "...\0" */
			if (o + 4 <= cap) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (plain) {
			dst[o++] = (char)ch;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		}
	}
	dst[o < cap ? o : cap - 1] = '\0';
	return dst;
}
