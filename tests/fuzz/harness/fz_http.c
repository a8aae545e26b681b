/* SPDX-License-Identifier: BSD-3-Clause
 *
 * HTTP path fixture: a root holding traps (symlinks that climb out:
 * absolute, "../", a directory link to ".."; a FIFO, a directory, a magic
 * link, a device) next to a secret file, and the checks a resolution
 * must pass:
 *   - a path with a ".." segment (plain or %2e-encoded) is refused (-EACCES);
 *   - a successful open is a regular file whose inode is one of the files
 *     planted inside the root, and whose real path lies below the root.
 * The realpath fallback used where openat2 is missing (kernels < 5.6) is
 * run on a thread whose seccomp filter makes openat2 fail with ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control/daemon/httputil.h"
#include "tests/fuzz/harness/fz.h"

#define MAX_INSIDE 8

static char root_real[PATH_MAX];
static int root_fd = -1;
static ino_t inside[MAX_INSIDE], secret_ino;
static unsigned n_inside;

static void
put_inside(const char *rel)
{
	FZ_CHECK(n_inside < MAX_INSIDE);
	inside[n_inside++] = fz_put_file(rel, 1, 'x');
}

static void
setup_tree(void)
{
	fz_tmpdir("http", false);
	secret_ino = fz_put_file("secret", 6, 's'); /* next to the root: never served */
	fz_put_dir("root");
	fz_put_dir("root/centos7");
	fz_put_dir("root/pxelinux.cfg");
	fz_put_dir("root/empty");
	put_inside("root/vmlinuz");
	put_inside("root/centos7/initrd.img");
	put_inside("root/pxelinux.cfg/default");
	put_inside("root/%2e%2e");	/* a name, once decoded twice */
	put_inside("root/..x");		/* dots, but not a ".." segment */
	fz_put_link("centos7/initrd.img", "root/in-link");	/* stays inside */
	char secret[PATH_MAX];
	snprintf(secret, sizeof(secret), "%s", fz_path("secret"));
	fz_put_link(secret, "root/abs-link");		/* absolute, to the secret */
	fz_put_link("../secret", "root/up-link");	/* climbs out */
	fz_put_link("..", "root/centos7/dir-up");	/* dir link to the root */
	fz_put_link("../..", "root/empty/dir-up2");	/* dir link above the root */
	fz_put_link("/proc/self/root", "root/magic");	/* magic link */
	fz_put_link("/dev/null", "root/devnull");	/* a device */
	fz_put_link("loop", "root/loop");		/* ELOOP */
	fz_put_fifo("root/fifo");	/* O_NONBLOCK or a thread hangs */
	root_fd = open(fz_path("root"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(root_fd >= 0 && realpath(fz_path("root"), root_real));
}

ino_t
fz_http_check(const char *path, int rc, int fd, const struct stat *st)
{
	char lnk[64], real[PATH_MAX];
	size_t rl = strlen(root_real);
	struct stat fst;
	ssize_t n;
	bool ok = false;

	FZ_CHECK(!http_path_has_dotdot(path) || rc == -EACCES);
	if (rc < 0) {
		switch (-rc) {
		case EACCES: case EISDIR: case ENOENT: case ENOTDIR: case ENAMETOOLONG:
			return 0;
		}
		fprintf(stderr, "unexpected %d (%s) for \"%s\"\n", rc, strerror(-rc), path);
		abort();
	}
	FZ_CHECK(rc == 0 && fd >= 0 && fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode));
	FZ_CHECK(S_ISREG(st->st_mode) && fst.st_ino == st->st_ino);
	FZ_CHECK(fst.st_ino != secret_ino); /* escaped the root */
	for (unsigned i = 0; i < n_inside; i++)
		ok |= fst.st_ino == inside[i];
	FZ_CHECK(ok); /* something that is not one of the root's files */
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	n = readlink(lnk, real, sizeof(real) - 1);
	FZ_CHECK(n >= 0);
	real[n] = '\0';
	FZ_CHECK(strncmp(real, root_real, rl) == 0 && real[rl] == '/');
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
	FZ_CHECK(pthread_create(&t, NULL, fb_main, NULL) == 0);
	pthread_detach(t);
	pthread_mutex_lock(&fb_mu);
	while (fb_busy)
		pthread_cond_wait(&fb_cv, &fb_mu);
	pthread_mutex_unlock(&fb_mu);
	if (!fb_ok)
		fprintf(stderr, "fuzz_http_path: no seccomp, the realpath fallback is not fuzzed\n");
}

int
fz_http_root(void)
{
	if (root_fd < 0) {
		setup_tree();
		fb_start();
	}
	return root_fd;
}

bool
fz_http_fallback(const char *path, ino_t *ino)
{
	if (!fb_ok)
		return false;
	pthread_mutex_lock(&fb_mu);
	fb_path = path;
	fb_busy = true;
	pthread_cond_broadcast(&fb_cv);
	while (fb_busy)
		pthread_cond_wait(&fb_cv, &fb_mu);
	pthread_mutex_unlock(&fb_mu);
	*ino = fz_http_check(path, fb_rc, fb_fd, &fb_st);
	return true;
}

int
fz_lowest_free_fd(void)
{
	int fd = dup(root_fd);

	FZ_CHECK(fd >= 0);
	close(fd);
	return fd;
}
