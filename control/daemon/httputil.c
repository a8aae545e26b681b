/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/httputil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Parses 1*DIGIT at *s, saturating at UINT64_MAX (a huge first-pos is then
 * simply unsatisfiable, a huge last-pos is clamped).  false if no digit. */
static bool
parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*s = p;
	*v = x;
	return true;
}

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

enum range_res
http_range_parse(const char *hdr, uint64_t size, uint64_t *start, uint64_t *len)
{
	uint64_t first, last;
	const char *p;

	if (!hdr)
		return RANGE_NONE;
	p = skip_ows(hdr);
	/* RFC 9110 14.1: range units are case-insensitive. */
	if (strncasecmp(p, "bytes=", 6) != 0)
		return RANGE_NONE;
	p = skip_ows(p + 6);
	if (strchr(p, ','))
		return RANGE_NONE; /* multipart/byteranges not offered: 14.2 allows ignoring */
	if (*p == '-') {
		/* suffix-range (14.1.2): the last N bytes */
		p++;
		if (!parse_u64(&p, &last) || *skip_ows(p) != '\0')
			return RANGE_NONE;
		if (last == 0 || size == 0)
			return RANGE_UNSATISFIABLE; /* 14.1.2: a zero suffix is unsatisfiable */
		*len = last < size ? last : size;
		*start = size - *len;
		return RANGE_OK;
	}
	if (!parse_u64(&p, &first) || *p != '-')
		return RANGE_NONE;
	p++;
	if (*skip_ows(p) == '\0') {
		last = UINT64_MAX; /* "first-": to the end */
	} else {
		if (!parse_u64(&p, &last) || *skip_ows(p) != '\0')
			return RANGE_NONE;
		/* 14.1.1: last-pos < first-pos makes the range-spec invalid */
		if (last < first)
			return RANGE_NONE;
	}
	/* 14.1.1: satisfiable only if first-pos < representation length */
	if (first >= size)
		return RANGE_UNSATISFIABLE;
	if (last >= size)
		last = size - 1;
	*start = first;
	*len = last - first + 1;
	return RANGE_OK;
}

/* True when seg (n bytes) spells ".." with each dot either '.' or "%2e". */
static bool
seg_is_dotdot(const char *seg, size_t n)
{
	unsigned dots = 0;
	size_t i = 0;

	while (i < n) {
		if (seg[i] == '.') {
			i++;
		} else if (n - i >= 3 && seg[i] == '%' && seg[i + 1] == '2' &&
			   (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
			i += 3;
		} else {
			return false;
		}
		dots++;
	}
	return dots == 2;
}

bool
http_path_has_dotdot(const char *path)
{
	const char *p = path;

	while (*p) {
		const char *seg;

		while (*p == '/' || *p == '\\')
			p++;
		seg = p;
		while (*p && *p != '/' && *p != '\\')
			p++;
		if (seg_is_dotdot(seg, (size_t)(p - seg)))
			return true;
	}
	return false;
}

static int
sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)flags, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Kernels without openat2 (< 5.6): open, then check that the file's real
 * path still starts with the root's real path. */
static int
open_checked(int root_fd, const char *rel, int flags)
{
	char lnk[64], root_real[PATH_MAX], file_real[PATH_MAX];
	size_t rl;
	ssize_t n;
	int fd;

	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", root_fd);
	n = readlink(lnk, root_real, sizeof(root_real) - 1);
	if (n < 0)
		return -errno;
	root_real[n] = '\0';
	fd = openat(root_fd, rel, flags);
	if (fd < 0)
		return -errno;
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	n = readlink(lnk, file_real, sizeof(file_real) - 1);
	if (n < 0) {
		close(fd);
		return -EACCES;
	}
	file_real[n] = '\0';
	rl = strlen(root_real);
	if (strncmp(file_real, root_real, rl) != 0 ||
	    (file_real[rl] != '/' && file_real[rl] != '\0' && strcmp(root_real, "/") != 0)) {
		close(fd);
		return -EACCES;
	}
	return fd;
}

int
http_open_beneath(int root_fd, const char *url_path, int *out_fd, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO planted in the tree must not hang a thread;
	 * it has no effect on the regular files we go on to serve. */
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	const char *rel = url_path;
	int fd;

	if (http_path_has_dotdot(url_path))
		return -EACCES;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	fd = sys_openat2(root_fd, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	if (fd < 0 && errno == ENOSYS)
		fd = open_checked(root_fd, rel, flags);
	else if (fd < 0)
		fd = -errno;
	if (fd < 0)
		/* EXDEV: resolution would leave the root (absolute or climbing
		 * symlink); ELOOP: magic links refused.  Both are escapes. */
		return fd == -EXDEV || fd == -ELOOP ? -EACCES : fd;
	if (fstat(fd, st) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EACCES;
	}
	*out_fd = fd;
	return 0;
}

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "cfg", "text/plain; charset=utf-8" },
	{ "ks", "text/plain; charset=utf-8" },
	{ "ipxe", "text/plain; charset=utf-8" },
	{ "json", "application/json" },
	{ "xml", "application/xml" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "iso", "application/x-iso9660-image" },
	{ "img", "application/octet-stream" },
	{ "rpm", "application/x-rpm" },
	{ "deb", "application/vnd.debian.binary-package" },
	{ "gz", "application/gzip" },
	{ "xz", "application/x-xz" },
	{ "bz2", "application/x-bzip2" },
	{ "zst", "application/zstd" },
	{ "tar", "application/x-tar" },
	{ "sig", "application/pgp-signature" },
	{ "asc", "application/pgp-signature" },
	{ "efi", "application/efi" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
};

const char *
http_content_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');

	if (dot && dot[1]) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	}
	return "application/octet-stream";
}

void
http_date_fmt(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

bool
http_date_parse(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *end;

	/* RFC 9110 5.6.7: recipients SHOULD accept IMF-fixdate; obsolete
	 * forms are rare from installers and are simply ignored. */
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *skip_ows(end) != '\0')
		return false;
	*t = timegm(&tm);
	/* timegm normalises (second 60 of 31 Dec 9999 is year 10000): a date
	 * that IMF-fixdate's 4-digit year cannot write back is refused. */
	return *t != (time_t)-1 && tm.tm_year <= 9999 - 1900;
}
