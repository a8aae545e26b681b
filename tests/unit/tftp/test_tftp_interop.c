/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Interoperability: the engine behind a tiny UDP-socket glue on 127.0.0.1
 * (loopback only), fetched by real clients: tftp-hpa (RFC 1350, block
 * rollover, netascii), atftp (blksize + windowsize + tsize), curl
 * (blksize, not found), busybox tftp (blksize).  Files are compared byte
 * for byte.  Every client runs under a 30 s deadline and is killed by its
 * pid; its output goes to a log in the test's temp dir, printed on failure.
 * Exits 77 (meson: SKIP) when a client is not installed (scripts/install-deps
 * installs them all).
 *
 * Glue: "port 69" is a socket on an ephemeral port; the engine's TIDs are
 * NTID sockets bound up front below the kernel's ephemeral range (so no
 * client socket of this host can hold one), all of them ours before a
 * client starts: a server port the engine picks is always deliverable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "util/bs_time.h"
#include "tests/unit/tftp/th.h"

#define NTID	    64
#define TID_BASE_LO 20000 /* bases tried: 20000, 20064, ... below 32768 */
#define TID_BASES   150
#define CLIENT_NS   30000000000ull /* per-client deadline */

struct glue {
	struct th *t;
	int req_fd;
	uint16_t req_port, lo;
	int tid_fd[NTID];
	unsigned stray;	/* sends from a port the glue does not own (a bug) */
};

static struct glue G;

/* No SO_REUSEADDR: a port someone else holds must fail to bind. */
static int
udp_bind(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
close_tids(void)
{
	for (unsigned k = 0; k < NTID; k++) {
		if (G.tid_fd[k] >= 0)
			close(G.tid_fd[k]);
		G.tid_fd[k] = -1;
	}
}

/* Binds NTID consecutive ports; a base where any port is taken (another
 * test, another engineer's server) is given up for the next one.  The
 * start is spread by pid so parallel runs rarely collide. */
static bool
bind_tids(void)
{
	for (unsigned n = 0; n < TID_BASES; n++) {
		unsigned b = ((unsigned)getpid() + n) % TID_BASES;
		G.lo = (uint16_t)(TID_BASE_LO + b * NTID);
		unsigned k = 0;
		for (; k < NTID; k++)
			if ((G.tid_fd[k] = udp_bind((uint16_t)(G.lo + k))) < 0)
				break;
		if (k == NTID)
			return true;
		close_tids();
	}
	return false;
}

static int
glue_send(void *ctx, const struct tftp_out *o)
{
	(void)ctx;
	int fd;
	if (o->src_port == TFTP_PORT) {
		fd = G.req_fd; /* ERRORs answering an RRQ come from "port 69" */
	} else if (o->src_port >= G.lo && o->src_port - G.lo < NTID) {
		fd = G.tid_fd[o->src_port - G.lo];
	} else {
		G.stray++;
		return 0;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->dst_port),
				 .sin_addr.s_addr = htonl(o->dst_ip) };
	struct iovec iov[2] = { { (void *)o->hdr, o->hdr_len },
				{ (void *)o->payload, o->payload_len } };
	struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = iov,
			    .msg_iovlen = o->payload_len ? 2 : 1 };
	if (sendmsg(fd, &m, 0) < 0 && (errno == EAGAIN || errno == ENOBUFS))
		return -ENOBUFS; /* the engine keeps the block for the next poll */
	return 0;
}

static void
glue_rx(int fd, uint16_t dport)
{
	uint8_t buf[2048];
	for (int n = 0; n < 64; n++) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&a, &al);
		if (r < 0)
			return;
		struct tftp_rx rx = { .p = buf, .len = (size_t)r, .src_ip = ntohl(a.sin_addr.s_addr),
				      .dst_ip = INADDR_LOOPBACK, .src_port = ntohs(a.sin_port),
				      .dst_port = dport, .now_ns = bs_mono_ns() };
		tftp_handle(G.t->e, G.t->s, &rx);
	}
}

/* One glue iteration: wait up to timeout_ms for packets, hand them to the
 * engine, poll it.  Returns whether any packet arrived. */
static bool
serve_once(int timeout_ms)
{
	struct pollfd pf[NTID + 1];
	pf[NTID] = (struct pollfd){ .fd = G.req_fd, .events = POLLIN };
	for (unsigned k = 0; k < NTID; k++)
		pf[k] = (struct pollfd){ .fd = G.tid_fd[k], .events = POLLIN };
	bool got = poll(pf, NTID + 1, timeout_ms) > 0;
	for (unsigned k = 0; k <= NTID; k++)
		if (pf[k].revents & POLLIN)
			glue_rx(pf[k].fd, k == NTID ? TFTP_PORT : (uint16_t)(G.lo + k));
	tftp_poll(G.t->e, G.t->s, bs_mono_ns(), 64);
	return got;
}

static void
print_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	if (!f)
		return;
	fprintf(stderr, "---- %s\n", path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

/* Runs argv as a child while serving; returns its exit status (-1 when it
 * died of a signal) and prints its log when that is not `expect`.  Past the
 * deadline the child is killed by its pid and the test fails. */
static int
serve_while(char *const argv[], int expect)
{
	char logp[160];
	snprintf(logp, sizeof(logp), "%s/client.log", G.t->dir);
	pid_t pid = fork();
	if (pid == 0) {
		int lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (lf < 0 || dn < 0)
			_exit(126);
		dup2(dn, 0); /* tftp-hpa would read commands from a terminal */
		dup2(lf, 1);
		dup2(lf, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	uint64_t deadline = bs_mono_ns() + CLIENT_NS;
	int status = -1;
	while (bs_mono_ns() < deadline) {
		serve_once(1);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			/* The client may exit right after sending its last ACK:
			 * let the engine see what is still queued (at most 1 s,
			 * until 20 ms pass with nothing to read). */
			for (uint64_t end = bs_mono_ns() + 1000000000ull; bs_mono_ns() < end;)
				if (!serve_once(20))
					break;
			int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			if (rc != expect)
				print_log(logp);
			assert_int_equal(G.stray, 0);
			return rc;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	print_log(logp);
	fail_msg("%s timed out", argv[0]);
	return -1;
}

static int
setup(void **state)
{
	struct th *t = th_new();
	G.t = t;
	G.stray = 0;
	for (unsigned k = 0; k < NTID; k++)
		G.tid_fd[k] = -1;
	if (!bind_tids()) {
		th_free(t);
		fprintf(stderr, "no free block of %u UDP ports on 127.0.0.1\n", NTID);
		return -1;
	}
	t->s->tftp_port_lo = G.lo;
	t->s->tftp_port_hi = (uint16_t)(G.lo + NTID - 1);
	t->s->tftp_max_windowsize = 16;
	struct tftp_env env = { .ctr = t->ctr, .n_workers = 1, .send = glue_send };
	struct tftp_limits lim = { .max_transfers = 64, .settle_ms = UINT32_MAX };
	tftp_engine_free(t->e);
	t->e = tftp_engine_new(&env, &lim);
	G.req_fd = udp_bind(0);
	if (!t->e || G.req_fd < 0) {
		close_tids();
		th_free(t);
		return -1;
	}
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	getsockname(G.req_fd, (struct sockaddr *)&a, &al);
	G.req_port = ntohs(a.sin_port);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	close_tids();
	close(G.req_fd);
	th_free(*state);
	return 0;
}

/* The client's copy must equal the served file, length included. */
static void
check_same(struct th *t, const char *rel, const char *out)
{
	char p[512];
	th_path(t, rel, p, sizeof(p));
	FILE *a = fopen(p, "rb"), *b = fopen(out, "rb");
	assert_non_null(a);
	assert_non_null(b);
	static uint8_t ba[1 << 16], bb[1 << 16];
	size_t off = 0, na, nb;
	do {
		na = fread(ba, 1, sizeof(ba), a);
		nb = fread(bb, 1, sizeof(bb), b);
		if (na != nb || memcmp(ba, bb, na) != 0)
			fail_msg("%s differs from the original in the 64 KiB at %zu", rel, off);
		off += na;
	} while (na == sizeof(ba));
	fclose(a);
	fclose(b);
}

static void
put_file(struct th *t, const char *rel, size_t size, unsigned seed)
{
	uint8_t *d = th_pattern(size, seed);
	th_write(t, rel, d, size);
	free(d);
}

static void
test_tftp_hpa_rollover(void **state)
{
	struct th *t = *state;
	put_file(t, "big", 65536u * 512u + 1000u, 1); /* 65538 blocks of 512 */
	char port[8], out[128];
	snprintf(port, sizeof(port), "%u", G.req_port);
	snprintf(out, sizeof(out), "%s/out-hpa", t->dir);
	char *argv[] = { "tftp", "-m", "binary", "127.0.0.1", port, "-c", "get", "big", out, NULL };
	assert_int_equal(serve_while(argv, 0), 0);
	check_same(t, "big", out);
	assert_true(t->ctr[BS_CTR_TFTP_ROLLOVER] >= 1);
}

static void
test_tftp_hpa_netascii(void **state)
{
	struct th *t = *state;
	const char *txt = "line one\nline two\r\nbare cr\rend\n";
	th_write(t, "t.txt", txt, strlen(txt));
	char port[8], out[128];
	snprintf(port, sizeof(port), "%u", G.req_port);
	snprintf(out, sizeof(out), "%s/out-asc", t->dir);
	char *argv[] = { "tftp", "-m", "ascii", "127.0.0.1", port, "-c", "get", "t.txt", out, NULL };
	assert_int_equal(serve_while(argv, 0), 0);
	check_same(t, "t.txt", out); /* the client converts back */
	assert_true(t->ctr[BS_CTR_TFTP_COPY_BYTES] > 0);
}

static void
test_atftp_window(void **state)
{
	struct th *t = *state;
	put_file(t, "k", 5u << 20, 2);
	char port[8], out[128];
	snprintf(port, sizeof(port), "%u", G.req_port);
	snprintf(out, sizeof(out), "%s/out-atftp", t->dir);
	char *argv[] = { "atftp", "--get", "-r", "k", "-l", out, "--option", "blksize 1468",
			 "--option", "windowsize 8", "--option", "tsize 0", "127.0.0.1", port,
			 NULL };
	assert_int_equal(serve_while(argv, 0), 0);
	check_same(t, "k", out);
	assert_int_equal(t->ctr[BS_CTR_TFTP_OPT_WINDOWSIZE], 1);
	assert_int_equal(t->ctr[BS_CTR_TFTP_XFER_DONE], 1);
}

static void
test_curl_blksize_and_missing(void **state)
{
	struct th *t = *state;
	put_file(t, "c.img", 3000000, 3);
	char url[128], out[128];
	snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/c.img", G.req_port);
	snprintf(out, sizeof(out), "%s/out-curl", t->dir);
	char *argv[] = { "curl", "-sS", "--tftp-blksize", "1468", "-o", out, url, NULL };
	assert_int_equal(serve_while(argv, 0), 0);
	check_same(t, "c.img", out);
	snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/missing", G.req_port);
	char *argv2[] = { "curl", "-sS", "-o", out, url, NULL };
	assert_int_equal(serve_while(argv2, 68), 68); /* CURLE_TFTP_NOTFOUND: ERROR 1 */
	assert_int_equal(t->ctr[BS_CTR_TFTP_ERR_NOT_FOUND], 1);
}

static void
test_busybox(void **state)
{
	struct th *t = *state;
	put_file(t, "bb", 1000000, 4);
	char port[8], out[128];
	snprintf(port, sizeof(port), "%u", G.req_port);
	snprintf(out, sizeof(out), "%s/out-bb", t->dir);
	char *argv[] = { "busybox", "tftp", "-g", "-b", "1468", "-r", "bb", "-l", out,
			 "127.0.0.1", port, NULL };
	assert_int_equal(serve_while(argv, 0), 0);
	check_same(t, "bb", out);
}

int
main(void)
{
	static const char *const need[] = { "tftp", "atftp", "curl", "busybox" };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", need[i]);
		if (system(cmd) != 0) {
			printf("SKIP: %s not installed (scripts/install-deps)\n", need[i]);
			return 77;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tftp_hpa_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tftp_hpa_netascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atftp_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_curl_blksize_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busybox, setup, teardown),
	};
	return cmocka_run_group_tests_name("tftp_interop", tests, NULL, NULL);
}
