/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/httpsend.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* End offset of the body registered for each fd (0: none), indexed by fd.
 * An fd number reused for another body is registered again before
 * libmicrohttpd can call sendfile on it; nothing else here calls sendfile. */
static _Atomic uint64_t *body_end;
static size_t body_end_n;
static pthread_once_t body_end_once = PTHREAD_ONCE_INIT;

static void
body_end_init(void)
{
	struct rlimit rl;
	size_t n = 1u << 16;

	/* httpd_start raised the soft limit first; calloc'd pages stay
	 * untouched (unbacked) above the fds in use */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur < (1u << 20) ? (size_t)rl.rlim_cur : 1u << 20;
	body_end = calloc(n, sizeof(*body_end));
	body_end_n = body_end ? n : 0;
}

size_t
http_send_widen(size_t n, uint64_t off, uint64_t end, size_t wide)
{
	uint64_t rem;

	if (end <= off || n == 0)
		return n;
	rem = end - off;
	if (rem / 2 <= n) /* the caller's last call (or two) stay as they are */
		return n;
	rem -= n;
	return rem < wide ? (size_t)rem : wide > n ? wide : n;
}

struct MHD_Response *
http_send_fd_response(uint64_t len, int fd, uint64_t start)
{
	pthread_once(&body_end_once, body_end_init);
	if (fd >= 0 && (size_t)fd < body_end_n)
		atomic_store_explicit(&body_end[fd], start + len, memory_order_relaxed);
	return MHD_create_response_from_fd_at_offset64(len, fd, start);
}

/* libmicrohttpd's sendfile64 (see httpsend.h), glibc's signature (a 64-bit
 * offset everywhere); then the kernel call itself. */
ssize_t sendfile64(int out_fd, int in_fd, int64_t *offset, size_t count);

ssize_t
sendfile64(int out_fd, int in_fd, int64_t *offset, size_t count)
{
	if (offset && *offset >= 0 && in_fd >= 0 && (size_t)in_fd < body_end_n)
		count = http_send_widen(count, (uint64_t)*offset,
					atomic_load_explicit(&body_end[in_fd], memory_order_relaxed),
					HTTP_SENDFILE_WIDE);
#ifdef SYS_sendfile64
	return syscall(SYS_sendfile64, out_fd, in_fd, offset, count);
#else
	return syscall(SYS_sendfile, out_fd, in_fd, offset, count);
#endif
}
