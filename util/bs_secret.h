/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Opening a file that holds a secret (the admin API token, BMC credentials):
 * the one rule, so that every secret file is checked alike.  Header-only.
 *
 * bs_secret_open(path): an O_RDONLY descriptor, or -errno: -EINVAL when it is
 * not a regular file (O_NOFOLLOW: never a symlink), -EPERM when group or
 * others have any permission on it, or when it is owned by someone other
 * than root or us.  A secret others can read is no secret: fail closed.
 */
#ifndef BS_UTIL_SECRET_H
#define BS_UTIL_SECRET_H

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int
bs_secret_open(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & 077) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

#endif
