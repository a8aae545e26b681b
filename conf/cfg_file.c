/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Files and paths: reading a config or inventory file whole (capped), and
 * resolving config-relative paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/cfg_priv.h"

char *
cfg_abs_path(const struct cfg *c, const char *p)
{
	if (p[0] == '/' || !c->base_dir)
		return strdup(p);
	size_t n = strlen(c->base_dir) + strlen(p) + 2;
	char *r = malloc(n);
	if (!r)
		return NULL;
	snprintf(r, n, "%s/%s", c->base_dir, p);
	return r;
}

int
cfg_read_file(const char *path, char **buf, size_t *len, const char **why)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc;

	*buf = NULL;
	if (!f) {
		*why = strerror(errno);
		return -errno;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		rc = -EINVAL;
		goto out;
	}
	if (st.st_size > CFG_MAX_FILE_BYTES) {
		*why = "file is larger than 64 MiB";
		rc = -EFBIG;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		*why = "out of memory";
		rc = -ENOMEM;
		goto out;
	}
	*len = fread(*buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		*why = "read error";
		rc = -EIO;
		free(*buf);
		*buf = NULL;
		goto out;
	}
	(*buf)[*len] = 0;
	rc = 0;
out:
	fclose(f);
	return rc;
}
