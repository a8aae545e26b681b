/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The file cache of one engine (each worker has its own; mmaps of one file
 * share the page cache, so that costs address space, not memory).
 *
 * Name resolution, strictly under the roots:
 *   - leading '/' are stripped and the rest resolved under the root, like
 *     tftp-hpa -s; a name with a ".." component is refused (ERROR 2) even
 *     when it would stay inside (tftp-hpa does the same);
 *   - the name is canonicalised before the cache lookup: repeated '/' are
 *     one, "." components are dropped (`big`, `./big`, `//big`, `.//big`
 *     are one entry, one mapping, one netascii copy), so spellings cannot
 *     multiply memory (issue 15 item 4);
 *   - openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) refuses any symlink
 *     or ".." that leaves the root (EXDEV); kernels without openat2 fall
 *     back to openat + readlink(/proc/self/fd) compared with the root's
 *     realpath;
 *   - embedded NULs cannot reach here: the name ends at the packet's first
 *     NUL (tftp_parse_req);
 *   - only regular files: the open is O_NONBLOCK|O_NOCTTY so a fifo or tty
 *     cannot block or become our terminal, then fstat must say S_ISREG.
 *   - <gen_root> (control's generated pxelinux configs) is searched before
 *     the root.
 *
 * Versions: a file is mapped read-only once per version (dev, inode, size,
 * mtime) and the mapping is shared, refcounted, by every transfer.  An
 * entry is revalidated (re-opened and fstat'ed) at most once per
 * TFTP_REVALIDATE_NS and only on an RRQ, never on the DATA path.  A changed
 * file gives a new version for new transfers; running ones keep their
 * reference and finish on the old pages.
 *
 * Written-in-place rule: a version whose mtime is less than settle_ms away
 * from now is "unstable" and is not served.  If an older version of the
 * entry is mapped and the new one is a different inode (replaced by
 * rename), the old version keeps being served until the new one settles;
 * otherwise the RRQ is dropped silently (DROP_TFTP_UNSTABLE) and the
 * client's RRQ retransmission finds it settled.  Replace files by rename:
 * a mapped file truncated in place would fault (SIGBUS) like in any
 * mmap-based server.
 *
 * netascii copies are heap memory built on the worker: a file is converted
 * only up to TFTP_ASCII_MAX bytes and all copies of the cache together stay
 * under TFTP_ASCII_TOTAL_MAX; beyond, the RRQ gets ERROR 0 and
 * DROP_TFTP_ASCII_CAP is counted.  (A copy of 4 MiB takes ~10 ms; text
 * files served as netascii are config files of a few KiB.)
 *
 * Misses are cached too (negative entries, TFTP_NEG_TTL_NS): PXELINUX asks
 * for ~10 missing pxelinux.cfg/ names in a row and each gets a fast ERROR 1
 * without a syscall.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/bs_hash.h"
#include "shm/snap_read.h"
#include "util/bs_time.h"
#include "dataplane/tftp/tftp_int.h"

#define TFTP_ASCII_MAX	     (4ull << 20)  /* largest file served as netascii */
#define TFTP_ASCII_TOTAL_MAX (16ull << 20) /* all netascii copies of one cache */
#define TFTP_SUMS_MAX	(16u << 20)    /* most blocks per checksum table */

struct tftp_centry {
	uint32_t hash;
	uint8_t used, neg;
	uint64_t checked_ns;	/* last (re)validation, engine clock */
	struct tftp_file *f;	/* NULL for a negative entry */
	char name[TFTP_NAME_MAX + 1];
};

struct tftp_cache {
	struct tftp_env env;
	uint32_t mask, n, max, hand;
	uint64_t settle_ns;
	uint64_t ascii_bytes;	/* netascii copies held (TFTP_ASCII_TOTAL_MAX) */
	struct tftp_centry *tab;
	int root_fd, gen_fd;
	char root[PATH_MAX], gen[PATH_MAX];	/* as configured */
	char root_real[PATH_MAX], gen_real[PATH_MAX];
};

/* Set once if the kernel lacks openat2; shared by the workers' engines.
 * Relaxed atomics: a worker that has not seen it yet just gets ENOSYS
 * once more. */
static _Atomic bool no_openat2;

static inline void
ctr(struct tftp_cache *c, enum bs_ctr id)
{
	if (c->env.ctr)
		bs_ctr_inc(c->env.ctr, id);
}

/* The glue's DMA hooks (tftp_set_dma_hooks): written before any worker
 * starts, read-only afterwards. */
static struct tftp_dma_hooks dma_hooks;
static bool dma_hooks_set;

void
tftp_set_dma_hooks(const struct tftp_dma_hooks *h)
{
	dma_hooks_set = h != NULL;
	if (h)
		dma_hooks = *h;
	else
		memset(&dma_hooks, 0, sizeof(dma_hooks));
}

/* Makes f's pages readable by the NIC, or marks f for the copy path: a
 * version the device cannot read must never reach it by pointer. */
static void
dma_map(struct tftp_cache *c, struct tftp_file *f)
{
	enum tftp_dma_rc rc = dma_hooks.map(dma_hooks.ctx, (void *)f->data, (size_t)f->size,
					    &f->dma);
	if (rc == TFTP_DMA_OK) {
		f->dma_mapped = true;
		if (c->env.on_map)
			f->user = c->env.on_map(c->env.ctx, f, f->data, (size_t)f->size);
		return;
	}
	if (rc == TFTP_DMA_FAIL_REG)
		ctr(c, BS_CTR_EXTMEM_REG_FAIL);
	ctr(c, BS_CTR_TFTP_DMA_FALLBACK); /* user stays NULL: the glue copies */
}

/* env.on_map, behind the DMA hooks when the glue installed them. */
static void
file_mapped(struct tftp_cache *c, struct tftp_file *f)
{
	if (dma_hooks_set)
		dma_map(c, f);
	else if (c->env.on_map)
		f->user = c->env.on_map(c->env.ctx, f, f->data, (size_t)f->size);
}

static uint32_t
name_hash(const char *s)
{
	return bs_fnv1a32_str(s);
}

struct tftp_cache *
tftp_cache_new(const struct tftp_env *env, uint32_t max_files, uint32_t settle_ms)
{
	struct tftp_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	uint32_t cap = 16;
	if (max_files == 0)
		max_files = 1024;
	while (cap < 2 * max_files)
		cap <<= 1;
	c->tab = calloc(cap, sizeof(*c->tab));
	if (!c->tab) {
		free(c);
		return NULL;
	}
	c->env = *env;
	c->mask = cap - 1;
	c->max = max_files;
	c->settle_ns = settle_ms == UINT32_MAX ? 0 : (uint64_t)(settle_ms ? settle_ms : 500) * 1000000ull;
	c->root_fd = c->gen_fd = -1;
	return c;
}

/* ---- file versions ---- */

void
tftp_file_get(struct tftp_file *f)
{
	f->refs++;
}

static void
release_one(struct tftp_cache *c, struct tftp_file *f)
{
	ctr(c, BS_CTR_TFTP_FILE_UNMAPS);
	if (f->kind == TFTP_FILE_ASCII)
		c->ascii_bytes -= f->size;
	if (c->env.on_release)
		c->env.on_release(c->env.ctx, f, f->user);
	else
		tftp_file_unmap(f);
}

void
tftp_file_put(struct tftp_cache *c, struct tftp_file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->ascii)
		release_one(c, f->ascii);
	release_one(c, f);
}

void
tftp_file_unmap(struct tftp_file *f)
{
	if (!f)
		return;
	/* The device's mapping goes first: the glue calls this once the last
	 * mbuf pointing into the pages is freed. */
	if (f->dma_mapped && dma_hooks.unmap)
		dma_hooks.unmap(dma_hooks.ctx, (void *)f->data, (size_t)f->size, f->dma);
	f->dma_mapped = false;
	if (f->data && f->kind == TFTP_FILE_MAP)
		munmap((void *)f->data, f->size);
	else if (f->kind == TFTP_FILE_ASCII)
		free((void *)f->data);
	for (struct tftp_sums *s = f->sums, *nx; s; s = nx) {
		nx = s->next;
		free(s);
	}
	free(f);
}

static void
set_name(struct tftp_file *f, const char *name)
{
	size_t n = strnlen(name, sizeof(f->name) - 1); /* truncated */
	memcpy(f->name, name, n);
	f->name[n] = 0;
}

static struct tftp_file *
map_version(struct tftp_cache *c, int fd, const struct stat *st, const char *name)
{
	struct tftp_file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	/* mmap of 0 bytes is EINVAL: an empty file has no mapping and is
	 * served as one 0-byte DATA block. */
	/* See tftp_dma_hooks.private_map: made read-only again below. */
	bool priv = dma_hooks_set && dma_hooks.private_map;
	if (st->st_size > 0) {
		void *a = priv ? mmap(NULL, (size_t)st->st_size, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE, fd, 0)
			       : mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (a == MAP_FAILED) {
			free(f);
			return NULL;
		}
		f->data = a;
	}
	f->kind = TFTP_FILE_MAP;
	f->size = (uint64_t)st->st_size;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	f->refs = 1; /* the cache entry's */
	set_name(f, name);
	file_mapped(c, f);
	if (priv && f->data)
		(void)mprotect((void *)f->data, (size_t)f->size, PROT_READ);
	ctr(c, BS_CTR_TFTP_FILE_MAPS);
	return f;
}

/* RFC 1350 section 5 / RFC 764: netascii is NVT ASCII, newline as CR LF
 * and a bare CR as CR NUL.  Converted once per version, then shared. */
struct tftp_file *
tftp_cache_ascii(struct tftp_cache *c, struct tftp_file *f, int *reason)
{
	if (f->ascii)
		return f->ascii;
	*reason = BS_CTR_DROP_TFTP_ASCII_CAP;
	if (f->size > TFTP_ASCII_MAX || c->ascii_bytes + f->size > TFTP_ASCII_TOTAL_MAX)
		return NULL;
	size_t out = 0;
	for (uint64_t i = 0; i < f->size; i++)
		out += (f->data[i] == '\n' || f->data[i] == '\r') ? 2 : 1;
	if (c->ascii_bytes + out > TFTP_ASCII_TOTAL_MAX)
		return NULL;
	*reason = BS_CTR_DROP_TFTP_OPEN_FAIL;
	struct tftp_file *a = calloc(1, sizeof(*a));
	uint8_t *d = out ? malloc(out) : NULL;
	if (!a || (out && !d)) {
		free(a);
		free(d);
		return NULL;
	}
	c->ascii_bytes += out;
	size_t o = 0;
	for (uint64_t i = 0; i < f->size; i++) {
		uint8_t ch = f->data[i];
		if (ch == '\n') {
			d[o++] = '\r';
			d[o++] = '\n';
		} else if (ch == '\r') {
			d[o++] = '\r';
			d[o++] = '\0';
		} else {
			d[o++] = ch;
		}
	}
	if (c->env.ctr)
		bs_ctr_add(c->env.ctr, BS_CTR_TFTP_COPY_BYTES, f->size);
	a->kind = TFTP_FILE_ASCII;
	a->data = d;
	a->size = out;
	a->refs = 1; /* owned by f; released with it */
	a->dev = f->dev;
	a->ino = f->ino;
	a->mtime_ns = f->mtime_ns;
	memcpy(a->name, f->name, sizeof(a->name));
	file_mapped(c, a);
	f->ascii = a;
	return a;
}

struct tftp_sums *
tftp_cache_sums(struct tftp_cache *c, struct tftp_file *f, uint32_t blksize)
{
	(void)c;
	for (struct tftp_sums *s = f->sums; s; s = s->next)
		if (s->blksize == blksize)
			return s;
	uint64_t n = f->size / blksize + 1;
	if (n > TFTP_SUMS_MAX)
		return NULL;
	struct tftp_sums *s = calloc(1, sizeof(*s) + n * sizeof(s->v[0]));
	if (!s)
		return NULL;
	s->blksize = blksize;
	s->n = (uint32_t)n;
	s->next = f->sums;
	f->sums = s;
	return s;
}

/* ---- the table ---- */

static void
entry_clear(struct tftp_cache *c, struct tftp_centry *en)
{
	if (en->f)
		tftp_file_put(c, en->f);
	en->f = NULL;
}

/* Linear probing, backward-shift deletion (no tombstones). */
static void
tab_del(struct tftp_cache *c, uint32_t i)
{
	entry_clear(c, &c->tab[i]);
	for (uint32_t j = i;;) {
		j = (j + 1) & c->mask;
		if (!c->tab[j].used)
			break;
		uint32_t k = c->tab[j].hash & c->mask;
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		c->tab[i] = c->tab[j];
		i = j;
	}
	c->tab[i].used = 0;
	c->tab[i].f = NULL;
	c->n--;
}

static void
flush_all(struct tftp_cache *c)
{
	for (uint32_t i = 0; i <= c->mask; i++) {
		if (c->tab[i].used)
			entry_clear(c, &c->tab[i]);
		c->tab[i].used = 0;
	}
	c->n = 0;
}

static struct tftp_centry *
tab_find(struct tftp_cache *c, const char *name, uint32_t h)
{
	for (uint32_t i = h & c->mask;; i = (i + 1) & c->mask) {
		struct tftp_centry *en = &c->tab[i];
		if (!en->used)
			return NULL;
		if (en->hash == h && strcmp(en->name, name) == 0)
			return en;
	}
}

static struct tftp_centry *
tab_insert(struct tftp_cache *c, const char *name, uint32_t h)
{
	if (c->n >= c->max) {
		/* Evict the next used slot after a moving hand: cheap and
		 * good enough, the working set of a boot is a few files. */
		for (;; c->hand = (c->hand + 1) & c->mask)
			if (c->tab[c->hand].used)
				break;
		tab_del(c, c->hand);
		ctr(c, BS_CTR_TFTP_CACHE_EVICT);
	}
	uint32_t i = h & c->mask;
	while (c->tab[i].used)
		i = (i + 1) & c->mask;
	struct tftp_centry *en = &c->tab[i];
	*en = (struct tftp_centry){ .hash = h, .used = 1 };
	snprintf(en->name, sizeof(en->name), "%s", name);
	c->n++;
	return en;
}

unsigned
tftp_cache_entries(const struct tftp_cache *c)
{
	return c->n;
}

uint64_t
tftp_cache_ascii_bytes(const struct tftp_cache *c)
{
	return c->ascii_bytes;
}

/* ---- roots and safe open ---- */

static int
open_dir(const char *path, char *real)
{
	if (!path[0])
		return -1;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !realpath(path, real))
		real[0] = 0;
	return fd;
}

/* (Re)opens the roots when the snapshot names other ones; a new root
 * flushes the cache (running transfers keep their versions). */
static int
ensure_dirs(struct tftp_cache *c, const struct snap_hdr *s)
{
	const char *root = snap_str(s, s->tftp_root);
	const char *gen = snap_str(s, s->tftp_gen_root);
	if (c->root_fd >= 0 && strcmp(root, c->root) == 0 && strcmp(gen, c->gen) == 0)
		return 0;
	flush_all(c);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->gen_fd >= 0)
		close(c->gen_fd);
	c->root_fd = c->gen_fd = -1;
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(c->gen, sizeof(c->gen), "%s", gen);
	c->root_fd = open_dir(root, c->root_real);
	c->gen_fd = open_dir(gen, c->gen_real);  /* may not exist: skipped */
	return c->root_fd >= 0 ? 0 : -ENOENT;
}

/* Fallback for kernels without openat2: the opened file's real path must
 * lie under the root's. */
static int
check_beneath(int fd, const char *real_root)
{
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	size_t rl = strlen(real_root);
	if (n < 0 || rl == 0)
		return -EXDEV;
	path[n] = 0;
	if (strncmp(path, real_root, rl) != 0 || (path[rl] != '/' && rl > 1))
		return -EXDEV;
	return 0;
}

static int
open_beneath(int dirfd, const char *real_root, const char *name)
{
	const uint64_t fl = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
		struct open_how how = {
			.flags = fl,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
	}
	int fd = openat(dirfd, name, (int)fl);
	if (fd < 0)
		return -errno;
	int rc = check_beneath(fd, real_root);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Canonical form of a name into out (TFTP_NAME_MAX + 1 bytes; the result
 * is never longer than the name): leading '/' stripped, runs of '/' made
 * one, "." components dropped, a trailing '/' kept (it still means "a
 * directory": not found, as before).  Returns out, or NULL for a ".."
 * component (escape, refused even when it would stay inside). */
static const char *
normalise(const char *name, char *out)
{
	size_t o = 0, len = strlen(name);
	bool trailing = len && (name[len - 1] == '/' ||
				(name[len - 1] == '.' && (len == 1 || name[len - 2] == '/')));
	for (const char *p = name; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return NULL;
		if (n && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (trailing && o)
		out[o++] = '/'; /* "dir/" and "dir/." still name a directory */
	out[o] = 0;
	return out;
}

static bool
same_version(const struct tftp_file *f, const struct stat *st)
{
	int64_t m = (int64_t)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	return f->dev == st->st_dev && f->ino == st->st_ino && f->size == (uint64_t)st->st_size &&
	       f->mtime_ns == m;
}

static bool
settled(const struct tftp_cache *c, const struct stat *st)
{
	int64_t m = (int64_t)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	int64_t d = (int64_t)bs_real_ns() - m;
	if (d < 0)
		d = -d;
	return (uint64_t)d >= c->settle_ns;
}

/* Opens name under gen then root: fd >= 0, -ENOENT (in neither), or
 * another -errno (escape: -EXDEV/-ELOOP, ...). */
static int
open_file(struct tftp_cache *c, const char *rel)
{
	if (c->gen_fd >= 0) {
		int fd = open_beneath(c->gen_fd, c->gen_real, rel);
		if (fd != -ENOENT && fd != -ENOTDIR)
			return fd;
	}
	int fd = open_beneath(c->root_fd, c->root_real, rel);
	return fd == -ENOTDIR ? -ENOENT : fd;
}

static int
fail(int *err, int code, int reason)
{
	*err = code;
	return reason;
}

/* The entry is missing or due for revalidation: open, compare, map. */
static int
revalidate(struct tftp_cache *c, struct tftp_centry *en, const char *rel, uint64_t now_ns,
	   struct tftp_file **out, int *err)
{
	int fd = open_file(c, rel);
	if (fd == -ENOENT) {
		entry_clear(c, en);
		en->neg = 1;
		en->checked_ns = now_ns;
		return fail(err, TFTP_E_NOT_FOUND, BS_CTR_DROP_TFTP_NOT_FOUND);
	}
	if (fd == -EXDEV || fd == -ELOOP)
		return fail(err, TFTP_E_ACCESS, BS_CTR_DROP_TFTP_PATH_ESCAPE);
	if (fd < 0)
		return fail(err, TFTP_E_ACCESS, BS_CTR_DROP_TFTP_NOT_REGULAR);
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = fail(err, TFTP_E_ACCESS, BS_CTR_DROP_TFTP_NOT_REGULAR);
		goto out;
	}
	if (en->f && same_version(en->f, &st)) {
		en->checked_ns = now_ns;
		ctr(c, BS_CTR_TFTP_CACHE_HIT);
		goto give;
	}
	if (!settled(c, &st)) {
		/* Replaced by rename: the old inode is intact, keep serving
		 * it.  Written in place (or new): wait. */
		if (en->f && en->f->ino != st.st_ino)
			goto give;
		rc = fail(err, -1, BS_CTR_DROP_TFTP_UNSTABLE);
		goto out;
	}
	struct tftp_file *f = map_version(c, fd, &st, rel);
	if (!f) {
		rc = fail(err, TFTP_E_UNDEF, BS_CTR_DROP_TFTP_OPEN_FAIL);
		goto out;
	}
	ctr(c, en->f ? BS_CTR_TFTP_CACHE_NEW_VERSION : BS_CTR_TFTP_CACHE_MISS);
	entry_clear(c, en);
	en->f = f;
	en->neg = 0;
	en->checked_ns = now_ns;
give:
	tftp_file_get(en->f);
	*out = en->f;
out:
	close(fd);
	return rc;
}

int
tftp_cache_get(struct tftp_cache *c, const struct snap_hdr *s, const char *name, uint64_t now_ns,
	       struct tftp_file **out, int *err)
{
	*out = NULL;
	*err = -1;
	if (ensure_dirs(c, s) < 0)
		return fail(err, TFTP_E_UNDEF, BS_CTR_DROP_TFTP_NO_ROOT);
	char canon[TFTP_NAME_MAX + 1];
	const char *rel = normalise(name, canon);
	if (!rel)
		return fail(err, TFTP_E_ACCESS, BS_CTR_DROP_TFTP_PATH_ESCAPE);
	if (!*rel)
		return fail(err, TFTP_E_NOT_FOUND, BS_CTR_DROP_TFTP_NOT_FOUND);
	uint32_t h = name_hash(rel);
	struct tftp_centry *en = tab_find(c, rel, h);
	if (en && now_ns - en->checked_ns < (en->neg ? TFTP_NEG_TTL_NS : TFTP_REVALIDATE_NS)) {
		if (en->neg) {
			ctr(c, BS_CTR_TFTP_CACHE_NEG_HIT);
			return fail(err, TFTP_E_NOT_FOUND, BS_CTR_DROP_TFTP_NOT_FOUND);
		}
		ctr(c, BS_CTR_TFTP_CACHE_HIT);
		tftp_file_get(en->f);
		*out = en->f;
		return 0;
	}
	if (!en)
		en = tab_insert(c, rel, h);
	int rc = revalidate(c, en, rel, now_ns, out, err);
	/* Do not keep entries for names that never resolved to anything
	 * cacheable (escapes, devices, unstable new files). */
	if (rc && !en->f && !en->neg)
		tab_del(c, (uint32_t)(en - c->tab));
	return rc;
}

void
tftp_cache_free(struct tftp_cache *c)
{
	if (!c)
		return;
	flush_all(c);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->gen_fd >= 0)
		close(c->gen_fd);
	free(c->tab);
	free(c);
}
