/* SPDX-License-Identifier: BSD-3-Clause
 *
 * IPMI 2.0 lanplus operations through ipmitool child processes
 * (control/power/power.h).  One child per try: a hard timeout is a kill,
 * a wedged BMC cannot wedge control, and what bootstorm runs is exactly
 * what an operator types to check a BMC by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/power/power.h"
#include "control/power/redfish.h"
#include "util/bs_time.h"

/* ------------------------------------------------------------------ */
/* Per-BMC concurrency 1: a BMC (host:port) runs one operation at a time. */

#define BUSY_MAX 1024
static pthread_mutex_t busy_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cv = PTHREAD_COND_INITIALIZER;
static char busy[BUSY_MAX][264];
static unsigned n_busy;

static int
busy_find(const char *key)
{
	for (unsigned i = 0; i < n_busy; i++)
		if (!strcmp(busy[i], key))
			return (int)i;
	return -1;
}

static void
bmc_acquire(const char *key)
{
	pthread_mutex_lock(&busy_mu);
	while (busy_find(key) >= 0 || n_busy == BUSY_MAX)
		pthread_cond_wait(&busy_cv, &busy_mu);
	snprintf(busy[n_busy++], sizeof(busy[0]), "%s", key);
	pthread_mutex_unlock(&busy_mu);
}

static void
bmc_release(const char *key)
{
	pthread_mutex_lock(&busy_mu);
	int i = busy_find(key);
	if (i >= 0)
		memcpy(busy[i], busy[--n_busy], sizeof(busy[0]));
	pthread_cond_broadcast(&busy_cv);
	pthread_mutex_unlock(&busy_mu);
}

/* ------------------------------------------------------------------ */
/* One child */

/* Runs tool with argv; its stdout+stderr (bounded) to out.  0 when it
 * exited 0, -EIO when it failed, -ETIMEDOUT when killed at the deadline. */
static int
run_child(char *const argv[], char *const envp[], uint32_t timeout_ms, char *out, size_t cap)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execve(argv[0], argv, envp);
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	uint64_t end = bs_mono_ms() + timeout_ms;
	bool timed_out = false;
	for (;;) {
		uint64_t now = bs_mono_ms();
		if (now >= end) {
			timed_out = true;
			break;
		}
		struct pollfd p = { pfd[0], POLLIN, 0 };
		int r = poll(&p, 1, (int)(end - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* the deadline check above ends it */
		char buf[512];
		ssize_t k = read(pfd[0], buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* EOF: the child is done (or closed its output) */
		size_t take = (size_t)k < cap - 1 - len ? (size_t)k : cap - 1 - len;
		memcpy(out + len, buf, take);
		len += take;
	}
	out[len] = 0;
	close(pfd[0]);
	int st = 0;
	if (timed_out) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -ETIMEDOUT;
	}
	/* EOF then exit: wait at most until the deadline, then kill. */
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (bs_mono_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* The ipmitool words of one simple op. */
static int
op_words(enum pwr_op op, const char *w[3])
{
	w[0] = "chassis";
	switch (op) {
	case PWR_STATUS: w[1] = "power", w[2] = "status"; return 0;
	case PWR_ON: w[1] = "power", w[2] = "on"; return 0;
	case PWR_OFF: w[1] = "power", w[2] = "off"; return 0;
	case PWR_CYCLE: w[1] = "power", w[2] = "cycle"; return 0;
	/* IPMI 2.0 section 28.12, boot flags parameter 5: ipmitool sets
	 * "valid for the next boot only" unless options=persistent. */
	case PWR_PXE_ONCE: w[1] = "bootdev", w[2] = "pxe"; return 0;
	default: return -EINVAL;
	}
}

static void
last_line(char *dst, size_t cap, const char *out)
{
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	size_t s = n;
	while (s && out[s - 1] != '\n')
		s--;
	snprintf(dst, cap, "%.*s", (int)(n - s), out + s);
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* One try of a simple op. */
static int
try_once(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
	 const struct pwr_opts *o, struct pwr_result *r)
{
	const char *w[3];
	if (op_words(op, w) < 0)
		return -EINVAL;
	char port[8], nsec[12], envpass[160];
	snprintf(port, sizeof(port), "%u", a->port);
	uint32_t n = o->timeout_ms / 3000;
	snprintf(nsec, sizeof(nsec), "%u", n ? n : 1);
	snprintf(envpass, sizeof(envpass), "IPMI_PASSWORD=%s", cr->pass);
	char *envp[] = { envpass, (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char cs[12];
	snprintf(cs, sizeof(cs), "%u", o->cipher);
	const char *argv[] = {
		o->tool ? o->tool : "ipmitool", "-I", "lanplus", "-H", a->host, "-p", port,
		"-U", cr->user, "-E", "-N", nsec, "-R", "2", "-C", cs, w[0], w[1], w[2], NULL,
	};
	if (!o->cipher) /* drop "-C n": ipmitool picks */
		memmove(&argv[14], &argv[16], 4 * sizeof(argv[0]));
	char out[2048];
	int rc = run_child((char *const *)argv, envp, o->timeout_ms, out, sizeof(out));
	explicit_bzero(envpass, sizeof(envpass));
	if (rc == -ETIMEDOUT) {
		snprintf(r->err, sizeof(r->err), "%s: no answer within %u ms", pwr_op_name(op),
			 o->timeout_ms);
		return rc;
	}
	/* The BMC refused the login (RAKP 2 status, IPMI 2.0 section 13.31:
	 * ipmitool prints these): retrying would count towards the BMC's
	 * account lockout, so fail at once. */
	if (rc < 0 && (strstr(out, "RAKP 2 HMAC is invalid") || strstr(out, "unauthorized name") ||
		       strstr(out, "invalid role") || strstr(out, "unauthorized role"))) {
		snprintf(r->err, sizeof(r->err),
			 "%s: login refused by the BMC (user or password), not retried",
			 pwr_op_name(op));
		return -EACCES;
	}
	if (rc < 0) {
		char l[120];
		last_line(l, sizeof(l), out);
		snprintf(r->err, sizeof(r->err), "%s: %s", pwr_op_name(op), l[0] ? l : "failed");
		return rc;
	}
	if (op == PWR_STATUS) {
		if (strstr(out, "Power is on"))
			r->on = true;
		else if (strstr(out, "Power is off"))
			r->on = false;
		else {
			snprintf(r->err, sizeof(r->err), "status: unexpected answer");
			return -EIO;
		}
	}
	return 0;
}

static int
with_retries(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
	     const struct pwr_opts *o, struct pwr_result *r)
{
	uint32_t pause = o->backoff_ms;
	int rc = -EIO;
	for (uint32_t t = 0; t <= o->retries; t++) {
		if (t) {
			struct timespec ts = { pause / 1000, (long)(pause % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			pause = pause * 2 > 60000 ? 60000 : pause * 2;
		}
		r->tries++;
		rc = a->proto == BMC_REDFISH ? redfish_try(a, cr, op, o, r) : try_once(a, cr, op, o, r);
		if (rc == 0 || rc == -EINVAL || rc == -EACCES)
			break;
	}
	return rc;
}

int
pwr_exec(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
	 const struct pwr_opts *o, struct pwr_result *r)
{
	memset(r, 0, sizeof(*r));
	if (a->proto != BMC_IPMI && a->proto != BMC_REDFISH) {
		snprintf(r->err, sizeof(r->err), "%s: unknown BMC protocol", pwr_op_name(op));
		return r->rc = -EPROTONOSUPPORT;
	}
	if (!cr) {
		snprintf(r->err, sizeof(r->err), "%s: no credentials for %.100s", pwr_op_name(op),
			 a->host);
		return r->rc = -ENOKEY;
	}
	char key[264];
	snprintf(key, sizeof(key), "%s:%u", a->host, a->port);
	bmc_acquire(key);
	int rc;
	if (op == PWR_BOOT) {
		rc = with_retries(a, cr, PWR_STATUS, o, r);
		if (rc == 0)
			rc = with_retries(a, cr, r->on ? PWR_CYCLE : PWR_ON, o, r);
	} else {
		rc = with_retries(a, cr, op, o, r);
	}
	bmc_release(key);
	if (rc == 0)
		r->err[0] = 0;
	return r->rc = rc;
}
