/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Writing a whole file so that a crash leaves the old one or the new one,
 * never half of one (every store had its own copy of this).  Header-only.
 *
 * bs_write_all(fd, p, len): write(2) until all of p[0..len) is written,
 * retrying EINTR.  0 or -errno (-EIO if write returns 0).
 *
 * bs_file_replace(path, data, len, mode): data becomes the content of path:
 * written to <path>.tmp (same directory, so rename(2) is atomic; opened
 * O_CLOEXEC|O_NOFOLLOW|O_TRUNC with mode), fsync, rename over path, then
 * fsync of the directory (so the rename itself survives a crash).  0 or
 * -errno; the temp file is removed on any failure before the rename.  A
 * failed directory fsync is returned too (the file is already replaced).
 * -ENAMETOOLONG when <path>.tmp does not fit PATH_MAX.
 *
 * bs_file_replace_flags(..., BS_FILE_NO_DIRSYNC): the same without the
 * directory fsync, for a file whose loss of the last rename is harmless.
 *
 * One writer per path at a time: concurrent savers of one path need the
 * caller's lock (they share the one temp name).
 */
#ifndef BS_UTIL_FILE_H
#define BS_UTIL_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BS_FILE_NO_DIRSYNC 1u

static inline int
bs_write_all(int fd, const void *p, size_t len)
{
	const char *c = (const char *)p;

	while (len) {
		ssize_t w = write(fd, c, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path ("." when path has no '/'). */
static inline int
bs_file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* as every former copy: no directory to sync, nothing to do */
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static inline int
bs_file_replace_flags(const char *path, const void *data, size_t len, mode_t mode,
		      unsigned flags)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	rc = bs_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return flags & BS_FILE_NO_DIRSYNC ? 0 : bs_file_sync_dir(path);
}

static inline int
bs_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	return bs_file_replace_flags(path, data, len, mode, 0);
}

#endif
