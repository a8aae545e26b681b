/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Console captures (control/power/sol.h): one `ipmitool sol activate`
 * child per node, supervised by one thread that polls their outputs into
 * the bounded logs, restarts ended sessions with backoff (or, when the
 * BMC refuses SOL, does not: sol_why.c) and stops them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/power/sol.h"
#include "util/bs_time.h"

#define SOL_MAX 1024			/* captures at once */
#define STOP_TERM_MS 2000u		/* "~." then SIGTERM after this */
#define STOP_KILL_MS 4000u		/* ... and SIGKILL after this */

struct cap {
	char node[64];
	struct bmc_addr a;
	struct pwr_cred cr;
	unsigned owners;	/* 0: stopping (removed once its child is reaped) */
	pid_t pid;		/* 0: no child */
	int out_fd, in_fd;	/* the child's stdout+stderr, its stdin; -1 closed */
	uint64_t started_ms, next_ms, stop_ms;
	uint32_t backoff_ms;
	bool refused;		/* the BMC refused SOL: no child until sol_start */
	const char *why;	/* reason of the last end (static, sol_why.c); NULL none */
	size_t head_len;	/* bytes in head */
	char head[4096];	/* the session's first output: what ipmitool said */
	struct sol_log log;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct cap *caps[SOL_MAX];
static unsigned n_caps;
static struct sol_opts opts;
static char opt_dir[4096], opt_tool[256];
static pthread_t thr;
static bool running;
static atomic_bool quit;

static struct cap *
find(const char *node)
{
	for (unsigned i = 0; i < n_caps; i++)
		if (!strcmp(caps[i]->node, node))
			return caps[i];
	return NULL;
}

static void __attribute__((format(printf, 2, 3)))
note(struct cap *k, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		sol_log_write(&k->log, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* ---- the child ----------------------------------------------------------- */

/* Forks the capture's child: `sol deactivate` (waited for), then exec of
 * `sol activate`.  Between fork and exec only async-signal-safe calls. */
static int
spawn(struct cap *k)
{
	char port[8], cs[12], envpass[160];
	const char *tool = opts.tool ? opts.tool : "ipmitool";
	int out[2], in[2];

	snprintf(port, sizeof(port), "%u", k->a.port);
	snprintf(cs, sizeof(cs), "%u", opts.cipher);
	snprintf(envpass, sizeof(envpass), "IPMI_PASSWORD=%s", k->cr.pass);
	char *envp[] = { envpass, (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	const char *argv[] = {
		tool, "-I", "lanplus", "-H", k->a.host, "-p", port, "-U", k->cr.user, "-E",
		"-N", "2", "-R", "3", "-C", cs, "sol", "activate", NULL,
	};
	if (!opts.cipher) /* drop "-C n": ipmitool asks the BMC */
		memmove(&argv[14], &argv[16], 3 * sizeof(argv[0]));
	const char *deact[sizeof(argv) / sizeof(argv[0])];
	memcpy(deact, argv, sizeof(argv));
	for (unsigned i = 0; deact[i]; i++)
		if (!strcmp(deact[i], "activate"))
			deact[i] = "deactivate";

	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(in, O_CLOEXEC) < 0) {
		int e = -errno;
		close(out[0]);
		close(out[1]);
		return e;
	}
	sigset_t none;
	sigemptyset(&none);
	pid_t pid = fork();
	if (pid == 0) {
		/* the daemon's threads block SIGTERM & co. (serve.c); exec keeps a
		 * mask, and ipmitool must die of the SIGTERM of a stop */
		sigprocmask(SIG_SETMASK, &none, NULL);
		pid_t d = fork();
		if (d == 0) {
			int nul = open("/dev/null", O_RDWR);
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			close_range(3, ~0u, 0);
			execve(argv[0], (char *const *)deact, envp);
			execvpe(argv[0], (char *const *)deact, envp);
			_exit(127);
		}
		if (d > 0)
			waitpid(d, NULL, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close_range(3, ~0u, 0); /* no daemon socket or file stays open in ipmitool */
		execve(argv[0], (char *const *)argv, envp);
		execvpe(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	explicit_bzero(envpass, sizeof(envpass));
	int e = pid < 0 ? -errno : 0;
	close(out[1]);
	close(in[0]);
	if (e < 0) {
		close(out[0]);
		close(in[1]);
		return e;
	}
	/* the child's stdin is ours only to send "~."; never block on it */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	k->pid = pid;
	k->out_fd = out[0];
	k->in_fd = in[1];
	k->started_ms = bs_mono_ms();
	k->head_len = 0;
	return 0;
}

/* ---- the supervisor ---------------------------------------------------- */

static void
drain(struct cap *k)
{
	char buf[4096];

	for (;;) {
		ssize_t r = read(k->out_fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0) {
			size_t room = sizeof(k->head) - k->head_len;
			size_t n = (size_t)r < room ? (size_t)r : room;

			memcpy(k->head + k->head_len, buf, n);
			k->head_len += n;
			sol_log_write(&k->log, buf, (size_t)r);
			continue;
		}
		if (r == 0 || errno != EAGAIN) { /* EOF: the child is ending */
			close(k->out_fd);
			k->out_fd = -1;
		}
		return;
	}
}

/* Reaps an ended child; schedules the next session, unless the BMC
 * refused SOL (then the capture idles until sol_start). */
static void
reap(struct cap *k, uint64_t now)
{
	const char *why;
	int st = 0;

	if (k->pid <= 0 || waitpid(k->pid, &st, WNOHANG) != k->pid)
		return;
	if (k->out_fd >= 0)
		drain(k);
	if (k->out_fd >= 0)
		close(k->out_fd);
	if (k->in_fd >= 0)
		close(k->in_fd);
	k->pid = 0;
	k->out_fd = k->in_fd = -1;
	if (!k->owners)
		return;
	enum sol_end e = sol_classify(k->head, k->head_len, &why);
	uint32_t wait = sol_backoff_next(&k->backoff_ms, e, now - k->started_ms);
	const char *how = WIFEXITED(st) ? "exit" : "signal";
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);

	k->why = why[0] ? why : NULL;
	if (e == SOL_END_REFUSED) {
		k->refused = true;
		k->next_ms = UINT64_MAX;
		note(k, "\r\n[bootstorm sol: the BMC refuses SOL: %s (%s %d); not tried again]\r\n",
		     why, how, code);
		return;
	}
	k->next_ms = now + wait;
	note(k, "\r\n[bootstorm sol: session ended (%s %d); again in %u s%s%s]\r\n", how, code,
	     wait / 1000, why[0] ? ": " : "", why);
}

static void
cap_free(struct cap *k)
{
	sol_log_close(&k->log);
	explicit_bzero(&k->cr, sizeof(k->cr));
	free(k);
}

/* One pass over the captures, under mu: reap, stop, start. */
static void
step(uint64_t now)
{
	for (unsigned i = 0; i < n_caps;) {
		struct cap *k = caps[i];

		reap(k, now);
		if (!k->owners && k->pid > 0) {
			if (k->in_fd >= 0 && !k->stop_ms) {
				/* ipmitool's escape, at the start of a line (we send
				 * nothing else): deactivate the payload and exit */
				if (write(k->in_fd, "~.", 2) < 0) { /* the child is gone already */ }
				k->stop_ms = now;
			}
			if (now - k->stop_ms >= STOP_KILL_MS)
				kill(k->pid, SIGKILL);
			else if (now - k->stop_ms >= STOP_TERM_MS)
				kill(k->pid, SIGTERM);
		}
		if (!k->owners && k->pid == 0) {
			note(k, "\r\n[bootstorm sol: capture stopped]\r\n");
			cap_free(k);
			caps[i] = caps[--n_caps];
			continue;
		}
		if (k->owners && k->pid == 0 && !k->refused && now >= k->next_ms) {
			int rc = spawn(k);

			if (rc < 0) {
				note(k, "\r\n[bootstorm sol: cannot start ipmitool: %s]\r\n", strerror(-rc));
				k->next_ms = now + SOL_BACKOFF_MAX_MS;
			} else {
				note(k, "\r\n[bootstorm sol: session to %s:%u]\r\n", k->a.host, k->a.port);
			}
		}
		i++;
	}
}

static void *
loop(void *arg)
{
	sigset_t pipe;

	(void)arg;
	/* "~." to a child that just died: EPIPE, not a process-killing SIGPIPE */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	for (;;) {
		struct pollfd pf[SOL_MAX];
		struct cap *who[SOL_MAX];
		unsigned n = 0;
		bool done;

		pthread_mutex_lock(&mu);
		step(bs_mono_ms());
		done = atomic_load(&quit) && n_caps == 0;
		for (unsigned i = 0; i < n_caps; i++)
			if (caps[i]->out_fd >= 0) {
				pf[n] = (struct pollfd){ caps[i]->out_fd, POLLIN, 0 };
				who[n++] = caps[i];
			}
		pthread_mutex_unlock(&mu);
		if (done)
			return NULL;
		/* 200 ms: the pace of restarts, stops and reaping */
		if (poll(pf, n, 200) <= 0)
			continue;
		pthread_mutex_lock(&mu);
		for (unsigned i = 0; i < n; i++) {
			bool alive = false;

			for (unsigned j = 0; j < n_caps && !alive; j++)
				alive = caps[j] == who[i];
			if (alive && who[i]->out_fd == pf[i].fd && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				drain(who[i]);
		}
		pthread_mutex_unlock(&mu);
	}
}

/* ---- API --------------------------------------------------------------- */

int
sol_init(const struct sol_opts *o)
{
	int rc = 0;

	pthread_mutex_lock(&mu);
	snprintf(opt_dir, sizeof(opt_dir), "%s", o->state_dir);
	snprintf(opt_tool, sizeof(opt_tool), "%s", o->tool ? o->tool : "");
	opts = *o;
	opts.state_dir = opt_dir;
	opts.tool = opt_tool[0] ? opt_tool : NULL;
	if (!opts.max_bytes)
		opts.max_bytes = SOL_LOG_MAX_DEFAULT;
	if (!running) {
		atomic_store(&quit, false);
		rc = -pthread_create(&thr, NULL, loop, NULL);
		running = rc == 0;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

int
sol_start(const char *node, const struct bmc_addr *a, const struct pwr_cred *cr, unsigned owner)
{
	struct cap *k;
	int rc = 0;

	if (!sol_node_ok(node) || !owner)
		return -EINVAL;
	if (a->proto != BMC_IPMI)
		return -EPROTONOSUPPORT;
	pthread_mutex_lock(&mu);
	if (!running) {
		rc = -ENOTCONN;
	} else if ((k = find(node))) {
		/* stopping: run again once the old child is reaped; refused: a
		 * new start (a campaign's retry, an admin) is worth one more try */
		if (!k->owners || k->refused) {
			k->next_ms = 0;
			k->backoff_ms = SOL_BACKOFF_MIN_MS;
			k->refused = false;
		}
		k->owners |= owner;
		k->a = *a;
		k->cr = *cr;
	} else if (n_caps == SOL_MAX) {
		rc = -ENOSPC;
	} else if (!(k = calloc(1, sizeof(*k)))) {
		rc = -ENOMEM;
	} else if ((rc = sol_log_open(&k->log, opts.state_dir, node, opts.max_bytes)) < 0) {
		free(k);
	} else {
		snprintf(k->node, sizeof(k->node), "%s", node);
		k->a = *a;
		k->cr = *cr;
		k->owners = owner;
		k->out_fd = k->in_fd = -1;
		k->backoff_ms = SOL_BACKOFF_MIN_MS;
		caps[n_caps++] = k;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

int
sol_stop(const char *node, unsigned owner)
{
	struct cap *k;
	int rc = -ENOENT;

	pthread_mutex_lock(&mu);
	if ((k = find(node)) && (k->owners & owner)) {
		k->owners &= ~owner;
		if (!k->owners)
			k->stop_ms = 0;
		rc = 0;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

unsigned
sol_owners(const char *node)
{
	struct cap *k;
	unsigned o;

	pthread_mutex_lock(&mu);
	o = (k = find(node)) ? k->owners : 0;
	pthread_mutex_unlock(&mu);
	return o;
}

const char *
sol_state_name(enum sol_state s)
{
	static const char *const n[SOL_ST_MAX] = { "none", "running", "waiting", "refused",
						   "stopping" };

	return (unsigned)s < SOL_ST_MAX ? n[s] : "?";
}

enum sol_state
sol_status(const char *node, char *why, size_t cap)
{
	enum sol_state s = SOL_ST_NONE;
	struct cap *k;

	pthread_mutex_lock(&mu);
	if ((k = find(node)))
		s = !k->owners ? SOL_ST_STOPPING : k->refused ? SOL_ST_REFUSED :
		    k->pid > 0 ? SOL_ST_RUNNING : SOL_ST_WAITING;
	if (why && cap)
		snprintf(why, cap, "%s", k && k->why ? k->why : "");
	pthread_mutex_unlock(&mu);
	return s;
}

void
sol_stop_all(void)
{
	pthread_mutex_lock(&mu);
	for (unsigned i = 0; i < n_caps; i++) {
		if (caps[i]->owners)
			caps[i]->stop_ms = 0;
		caps[i]->owners = 0;
	}
	bool was = running;
	atomic_store(&quit, true);
	pthread_mutex_unlock(&mu);
	if (was)
		pthread_join(thr, NULL);
	pthread_mutex_lock(&mu);
	running = false;
	pthread_mutex_unlock(&mu);
}
