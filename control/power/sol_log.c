/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The bounded per-node console log of control/power/sol.h: append, and
 * when the bound would be passed, keep the newest half through a temp file
 * renamed over the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/power/sol.h"
#include "util/bs_file.h"

bool
sol_node_ok(const char *node)
{
	size_t n = node ? strlen(node) : 0;

	if (n == 0 || n > 63 || node[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = node[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

int
sol_log_path(char *out, size_t cap, const char *state_dir, const char *node)
{
	if (!sol_node_ok(node))
		return -EINVAL;
	int k = snprintf(out, cap, "%s/console/%s.log", state_dir, node);
	return k < 0 || (size_t)k >= cap ? -ENAMETOOLONG : 0;
}

/* The log becomes: the last `old_keep` bytes of the current file, then
 * p[0..n).  Through <path>.tmp and rename(2), then reopened for append. */
static int
rewrite(struct sol_log *l, uint64_t old_keep, const void *p, size_t n)
{
	char tmp[sizeof(l->path) + 8];
	char buf[8192];
	int rc = 0, in = -1, out;

	snprintf(tmp, sizeof(tmp), "%s.tmp", l->path);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	if (old_keep) {
		in = open(l->path, O_RDONLY | O_CLOEXEC);
		if (in < 0 || lseek(in, -(off_t)old_keep, SEEK_END) < 0)
			rc = -errno;
		while (rc == 0) {
			ssize_t k = read(in, buf, sizeof(buf));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				rc = -errno;
			if (k <= 0)
				break;
			rc = bs_write_all(out, buf, (size_t)k);
		}
		if (in >= 0)
			close(in);
	}
	if (rc == 0 && n)
		rc = bs_write_all(out, p, n);
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, l->path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (l->fd < 0)
		return -errno;
	l->size = old_keep + n;
	return 0;
}

int
sol_log_open(struct sol_log *l, const char *state_dir, const char *node, uint32_t max)
{
	char dir[4096];
	struct stat st;
	int rc;

	l->fd = -1;
	l->size = 0;
	l->max = max < SOL_LOG_MIN ? SOL_LOG_MIN : max;
	if ((rc = sol_log_path(l->path, sizeof(l->path), state_dir, node)) < 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/console", state_dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st) < 0) {
		rc = -errno;
		sol_log_close(l);
		return rc;
	}
	l->size = (uint64_t)st.st_size;
	if (l->size > l->max && (rc = rewrite(l, l->max / 2, NULL, 0)) < 0) {
		sol_log_close(l);
		return rc;
	}
	return 0;
}

int
sol_log_write(struct sol_log *l, const void *p, size_t n)
{
	uint32_t half = l->max / 2;
	int rc;

	if (l->fd < 0)
		return -EBADF;
	if (l->size + n <= l->max) {
		if ((rc = bs_write_all(l->fd, p, n)) < 0)
			return rc;
		l->size += n;
		return 0;
	}
	/* Over the bound: keep the newest half, this write's end included. */
	if (n >= half)
		return rewrite(l, 0, (const char *)p + (n - half), half);
	uint64_t keep = half - n;
	return rewrite(l, keep < l->size ? keep : l->size, p, n);
}

void
sol_log_close(struct sol_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

ssize_t
sol_log_read(const char *state_dir, const char *node, char *buf, size_t cap)
{
	char path[4096];
	struct stat st;
	size_t len = 0;
	int rc, fd;

	if (cap == 0)
		return -EINVAL;
	if ((rc = sol_log_path(path, sizeof(path), state_dir, node)) < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > cap - 1)
		lseek(fd, st.st_size - (off_t)(cap - 1), SEEK_SET);
	while (len < cap - 1) {
		ssize_t k = read(fd, buf + len, cap - 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}
