/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: bytes as an HTTP request path (what libmicrohttpd hands
 * route() after %-decoding: a C string, so a NUL ends it) resolved by
 * http_open_beneath() below a root holding traps: symlinks that climb out
 * (absolute, "../", a directory link to ".."), a FIFO, a directory, and a
 * secret file next to the root.
 *
 * Invariants, not only "no crash":
 *   - a path with a ".." segment (plain or %2e-encoded) is refused (-EACCES);
 *   - a successful open is a regular file whose inode is one of the files
 *     planted inside the root, and whose real path lies below the root;
 *   - no descriptor leaks, whatever the outcome;
 *   - the same holds for the realpath fallback used where openat2 is
 *     missing (kernels < 5.6): every input is resolved a second time on a
 *     thread whose seccomp filter makes openat2 fail with ENOSYS, and what
 *     openat2 allows the fallback allows too, with the same inode.
 * The tree lives in a per-process temp dir removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control/daemon/httputil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INSIDE 8

/* base is short so that every path built from it fits PATH_MAX */
static char base[256], root_real[PATH_MAX];
static int root_fd = -1;
static ino_t inside[MAX_INSIDE];
static unsigned n_inside;
static ino_t secret_ino;

static void
die(const char *what)
{
	perror(what);
	abort();
}

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
		fprintf(stderr, "fuzz_http_path: could not remove %s\n", base);
}

static void
put_file(const char *rel, bool in_root)
{
	char p[PATH_MAX];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, rel, strlen(rel)) < 0 || fstat(fd, &st) < 0)
		die(p);
	close(fd);
	if (in_root) {
		if (n_inside == MAX_INSIDE)
			abort();
		inside[n_inside++] = st.st_ino;
	} else {
		secret_ino = st.st_ino;
	}
}

static void
put_link(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (symlink(target, p) < 0)
		die(p);
}

static void
put_dir(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (mkdir(p, 0755) < 0)
		die(p);
}

static void
setup_tree(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[PATH_MAX];

	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(base, sizeof(base), "%s/bs-fuzz-http.XXXXXX", tmp);
	if (!mkdtemp(base))
		die("mkdtemp");
	atexit(rm_tree);
	put_file("secret", false); /* next to the root: must never be served */
	put_dir("root");
	put_dir("root/centos7");
	put_dir("root/pxelinux.cfg");
	put_dir("root/empty");
	put_file("root/vmlinuz", true);
	put_file("root/centos7/initrd.img", true);
	put_file("root/pxelinux.cfg/default", true);
	put_file("root/%2e%2e", true);	/* a name, once decoded twice */
	put_file("root/..x", true);	/* dots, but not a ".." segment */
	put_link("centos7/initrd.img", "root/in-link");	/* stays inside */
	snprintf(p, sizeof(p), "%s/secret", base);
	put_link(p, "root/abs-link");			/* absolute, to the secret */
	put_link("../secret", "root/up-link");		/* climbs out */
	put_link("..", "root/centos7/dir-up");		/* dir link to the root */
	put_link("../..", "root/empty/dir-up2");	/* dir link above the root */
	put_link("/proc/self/root", "root/magic");	/* magic link */
	put_link("/dev/null", "root/devnull");		/* a device */
	put_link("loop", "root/loop");			/* ELOOP */
	snprintf(p, sizeof(p), "%s/root/fifo", base);
	if (mkfifo(p, 0644) < 0)	/* O_NONBLOCK or a thread hangs */
		die(p);
	snprintf(p, sizeof(p), "%s/root", base);
	root_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || !realpath(p, root_real))
		die(p);
}

/* Checks one result; returns the inode opened (0 when refused). */
static ino_t
check(const char *path, int rc, int fd, const struct stat *st)
{
	char lnk[64], real[PATH_MAX];
	size_t rl = strlen(root_real);
	struct stat fst;
	ssize_t n;
	bool ok = false;

	if (http_path_has_dotdot(path) && rc != -EACCES)
		abort();
	if (rc < 0) {
		switch (-rc) {
		case EACCES: case EISDIR: case ENOENT: case ENOTDIR: case ENAMETOOLONG:
			return 0;
		}
		fprintf(stderr, "unexpected %d (%s) for \"%s\"\n", rc, strerror(-rc), path);
		abort();
	}
	if (rc != 0 || fd < 0 || fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) ||
	    !S_ISREG(st->st_mode) || fst.st_ino != st->st_ino)
		abort();
	if (fst.st_ino == secret_ino)
		abort(); /* escaped the root */
	for (unsigned i = 0; i < n_inside; i++)
		ok |= fst.st_ino == inside[i];
	if (!ok)
		abort(); /* something that is not one of the root's files */
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	n = readlink(lnk, real, sizeof(real) - 1);
	if (n < 0)
		abort();
	real[n] = '\0';
	if (strncmp(real, root_real, rl) != 0 || real[rl] != '/')
		abort();
	close(fd);
	return fst.st_ino;
}

/* The fallback thread: openat2 answers ENOSYS there (a seccomp filter is
 * per thread unless TSYNC is asked for), so http_open_beneath takes the
 * realpath path.  One request at a time, handed over under a mutex. */
static pthread_mutex_t fb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fb_cv = PTHREAD_COND_INITIALIZER;
static const char *fb_path;
static bool fb_busy, fb_ok;
static int fb_rc, fb_fd;
static struct stat fb_st;

static bool
deny_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	/* Only the syscall number is looked at: a foreign-arch syscall that
	 * happens to share openat2's number would get ENOSYS too, harmless
	 * on this thread, which makes no such calls. */
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

static void *
fb_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fb_mu);
	fb_ok = deny_openat2();
	fb_busy = false;
	pthread_cond_broadcast(&fb_cv);
	for (;;) {
		while (!fb_busy)
			pthread_cond_wait(&fb_cv, &fb_mu);
		fb_fd = -1;
		fb_rc = http_open_beneath(root_fd, fb_path, &fb_fd, &fb_st);
		fb_busy = false;
		pthread_cond_broadcast(&fb_cv);
	}
	return NULL;
}

static void
fb_start(void)
{
	pthread_t t;

	fb_busy = true;
	if (pthread_create(&t, NULL, fb_main, NULL) != 0)
		abort();
	pthread_detach(t);
	pthread_mutex_lock(&fb_mu);
	while (fb_busy)
		pthread_cond_wait(&fb_cv, &fb_mu);
	pthread_mutex_unlock(&fb_mu);
	if (!fb_ok)
		fprintf(stderr, "fuzz_http_path: no seccomp, the realpath fallback is not fuzzed\n");
}

static void
fb_run(const char *path)
{
	pthread_mutex_lock(&fb_mu);
	fb_path = path;
	fb_busy = true;
	pthread_cond_broadcast(&fb_cv);
	while (fb_busy)
		pthread_cond_wait(&fb_cv, &fb_mu);
	pthread_mutex_unlock(&fb_mu);
}

/* The lowest free descriptor: unchanged by a call that leaks nothing. */
static int
lowest_free_fd(void)
{
	int fd = dup(root_fd);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat st;
	char *path;
	ino_t a, b;
	int fd = -1, rc, low;

	if (root_fd < 0) {
		setup_tree();
		fb_start();
	}
	path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	low = lowest_free_fd();

	rc = http_open_beneath(root_fd, path, &fd, &st);
	a = check(path, rc, fd, &st);
	if (fb_ok) {
		fb_run(path);
		b = check(path, fb_rc, fb_fd, &fb_st);
		/* The fallback may allow more (an absolute link back into the
		 * root), never less than RESOLVE_BENEATH, and the same file. */
		if (a && a != b)
			abort();
	}
	if (lowest_free_fd() != low)
		abort(); /* a descriptor leaked */
	free(path);
	return 0;
}
