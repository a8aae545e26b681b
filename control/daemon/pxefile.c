/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/pxefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bs_hash.h"

/* name held buf when the file was this version (inode, size, mtime: the
 * TFTP cache's own version rule, tftp_cache.c).  A file is never written
 * in place, so a name still at that version still holds buf; an inode
 * number reused by a later file has a later mtime. */
struct pxefile_ent {
	uint32_t h;
	char name[PXEFILE_NAME_MAX]; /* "" = free slot */
	char *buf;
	size_t len;
	ino_t ino;
	struct timespec mtim;
};

enum { CONTENT_MISSING = -1, CONTENT_DIFFERS = 0, CONTENT_SAME = 1 };

/* Whether dir_fd/name holds buf; *st its version when it does. */
static int
content_cmp(int dir_fd, const char *name, const char *buf, size_t len, struct stat *st)
{
	char tmp[4096];
	size_t off = 0;
	int same = CONTENT_DIFFERS;
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? CONTENT_MISSING : CONTENT_DIFFERS;
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) && (size_t)st->st_size == len) {
		same = CONTENT_SAME;
		while (same == CONTENT_SAME && off < len) {
			ssize_t n = read(fd, tmp, sizeof(tmp));

			if (n <= 0 || (size_t)n > len - off || memcmp(tmp, buf + off, (size_t)n) != 0)
				same = CONTENT_DIFFERS;
			else
				off += (size_t)n;
		}
	}
	close(fd);
	return same;
}

static void
tmp_name(const char *name, char out[PXEFILE_NAME_MAX + 32])
{
	snprintf(out, PXEFILE_NAME_MAX + 32, ".%s.tmp.%d", name, (int)getpid());
}

/* buf into a new inode under a temp name, renamed over name; *st (when
 * not NULL) the new file's version. */
static int
create_file(int dir_fd, const char *name, const char *buf, size_t len, struct stat *st)
{
	char tmp[PXEFILE_NAME_MAX + 32];
	size_t off = 0;
	int fd, rc = 0;

	tmp_name(name, tmp);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && st && fstat(fd, st) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dir_fd, tmp, 0);
	return rc;
}

int
write_file_atomic(int dir_fd, const char *name, const char *buf, size_t len)
{
	struct stat st;
	int rc;

	if (content_cmp(dir_fd, name, buf, len, &st) == CONTENT_SAME)
		return 0;
	rc = create_file(dir_fd, name, buf, len, NULL);
	return rc < 0 ? rc : 1;
}

/* name as another link of src's inode: straight to name when it does not
 * exist, else through a temp name renamed over it. */
static int
link_file(int dir_fd, const char *src, const char *name, bool exists)
{
	char tmp[PXEFILE_NAME_MAX + 32];

	if (!exists) {
		if (linkat(dir_fd, src, dir_fd, name, 0) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	tmp_name(name, tmp);
	unlinkat(dir_fd, tmp, 0); /* one a crash left */
	if (linkat(dir_fd, src, dir_fd, tmp, 0) < 0)
		return -errno;
	if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
		int rc = -errno;

		unlinkat(dir_fd, tmp, 0);
		return rc;
	}
	return 0;
}

int
pxefile_open(struct pxefile_dir *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d->fd < 0 ? -errno : 0;
}

void
pxefile_close(struct pxefile_dir *d)
{
	for (size_t i = 0; i < d->cap; i++)
		free(d->t[i].buf);
	free(d->t);
	if (d->last)
		free(d->last->buf);
	free(d->last);
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

static struct pxefile_ent *
lookup(struct pxefile_dir *d, uint32_t h, const char *buf, size_t len)
{
	for (size_t i = h & (d->cap - 1); d->cap && d->t[i].name[0]; i = (i + 1) & (d->cap - 1))
		if (d->t[i].h == h && d->t[i].len == len && memcmp(d->t[i].buf, buf, len) == 0)
			return &d->t[i];
	return NULL;
}

static int
grow(struct pxefile_dir *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64;
	struct pxefile_ent *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < d->cap; i++) {
		size_t k;

		if (!d->t[i].name[0])
			continue;
		for (k = d->t[i].h & (cap - 1); t[k].name[0]; k = (k + 1) & (cap - 1))
			;
		t[k] = d->t[i];
	}
	free(d->t);
	d->t = t;
	d->cap = cap;
	return 0;
}

static void
set_version(struct pxefile_ent *e, const char *name, const struct stat *st)
{
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ino = st->st_ino;
	e->mtim = st->st_mtim;
}

/* Makes d->last say that name holds buf (a failure only loses a link). */
static void
remember_last(struct pxefile_dir *d, uint32_t h, const char *name, const char *buf, size_t len,
	      const struct stat *st)
{
	char *copy = malloc(len ? len : 1);

	if (!d->last)
		d->last = calloc(1, sizeof(*d->last));
	if (!d->last || !copy) {
		free(copy);
		return;
	}
	memcpy(copy, buf, len);
	free(d->last->buf);
	d->last->buf = copy;
	d->last->h = h;
	d->last->len = len;
	set_version(d->last, name, st);
}

/* Remembers that name holds buf (a failure only loses a later link). */
static void
remember(struct pxefile_dir *d, uint32_t h, const char *name, const char *buf, size_t len,
	 const struct stat *st)
{
	struct pxefile_ent *e;
	size_t k;

	if (strlen(name) >= PXEFILE_NAME_MAX)
		return;
	if (d->kept + len > PXEFILE_KEEP_MAX) {
		remember_last(d, h, name, buf, len, st);
		return;
	}
	if ((d->n + 1) * 2 > d->cap && grow(d) < 0)
		return;
	for (k = h & (d->cap - 1); d->t[k].name[0]; k = (k + 1) & (d->cap - 1))
		;
	e = &d->t[k];
	e->buf = malloc(len ? len : 1);
	if (!e->buf)
		return;
	memcpy(e->buf, buf, len);
	e->h = h;
	e->len = len;
	set_version(e, name, st);
	d->n++;
	d->kept += len;
}

/* Whether name (missing: -1) is e's version: e's content, no read. */
static int
is_version(int dir_fd, const char *name, const struct pxefile_ent *e)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? CONTENT_MISSING : CONTENT_DIFFERS;
	return S_ISREG(st.st_mode) && st.st_ino == e->ino && (size_t)st.st_size == e->len &&
	       st.st_mtim.tv_sec == e->mtim.tv_sec && st.st_mtim.tv_nsec == e->mtim.tv_nsec;
}

int
pxefile_put(struct pxefile_dir *d, const char *name, const char *buf, size_t len)
{
	uint32_t h = bs_fnv1a32(buf, len);
	struct pxefile_ent *e = lookup(d, h, buf, len);
	struct stat st;
	int cur = CONTENT_DIFFERS, rc;

	if (!e && d->last && d->last->h == h && d->last->len == len &&
	    memcmp(d->last->buf, buf, len) == 0)
		e = d->last;
	/* a link of an equal file of the batch: one stat, no read */
	if (e)
		cur = is_version(d->fd, name, e);
	if (cur == CONTENT_DIFFERS)
		cur = content_cmp(d->fd, name, buf, len, &st);
	if (cur == CONTENT_SAME) {
		if (!e)
			remember(d, h, name, buf, len, &st);
		return PXEFILE_UNCHANGED;
	}
	/* e's name is checked to be still at e's version (it may have been
	 * put again since, or removed) before name becomes a link of it */
	if (e && is_version(d->fd, e->name, e) == CONTENT_SAME &&
	    link_file(d->fd, e->name, name, cur == CONTENT_DIFFERS) == 0)
		return PXEFILE_LINKED;
	/* EMLINK (ext4: 65,000 links an inode) or e's file gone: a new
	 * inode, which the next ones of this content link to */
	rc = create_file(d->fd, name, buf, len, &st);
	if (rc < 0)
		return rc;
	if (e)
		set_version(e, name, &st);
	else
		remember(d, h, name, buf, len, &st);
	return PXEFILE_WRITTEN;
}
