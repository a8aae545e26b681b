/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Temp-tree helpers shared by the targets that need files (tftp root,
 * HTTP root, journal state dir): one directory per process, removed at
 * exit without following the links planted in it.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/fuzz/harness/fz.h"
#include "util/bs_time.h"

/* short, so that every path built from it fits PATH_MAX */
static char base[256];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

static void
rm_tree(void)
{
	/* FTW_PHYS: the links out of the tree are removed, never followed. */
	if (base[0] && nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", base);
}

const char *
fz_tmpdir(const char *tag, bool shm_ok)
{
	const char *tmp = getenv("TMPDIR");

	if (base[0])
		return base;
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = shm_ok && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof(base), "%s/bs-fuzz-%s.XXXXXX", tmp, tag);
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		abort();
	}
	atexit(rm_tree);
	return base;
}

const char *
fz_path(const char *rel)
{
	static char p[PATH_MAX];

	FZ_CHECK(base[0]);
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return p;
}

ino_t
fz_put_file(const char *rel, size_t len, char fill)
{
	const char *p = fz_path(rel);
	struct timespec ts[2];
	struct stat st;
	FILE *f = fopen(p, "wbx");

	FZ_CHECK(f != NULL);
	for (size_t i = 0; i < len; i++)
		fputc(fill == '*' ? (int)(i * 7 % 251) : fill, f);
	FZ_CHECK(fclose(f) == 0);
	ts[0] = (struct timespec){ .tv_sec = (time_t)bs_real_s() - 10 };
	ts[1] = ts[0];
	FZ_CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0 && stat(p, &st) == 0);
	return st.st_ino;
}

void
fz_put_dir(const char *rel)
{
	FZ_CHECK(mkdir(fz_path(rel), 0755) == 0);
}

void
fz_put_link(const char *target, const char *rel)
{
	FZ_CHECK(symlink(target, fz_path(rel)) == 0);
}

void
fz_put_fifo(const char *rel)
{
	FZ_CHECK(mkfifo(fz_path(rel), 0644) == 0);
}

char *
fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
