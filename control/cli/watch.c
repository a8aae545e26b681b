/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm watch`: a live view of a running server from its JSON API.
 * Plain ANSI escapes (works in any terminal, tmux included, no curses),
 * redrawn about once a second; q or Ctrl-C quits and restores the terminal.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "control/cli/cli.h"
#include "control/exit.h"
#include "control/cli/cli_util.h"

static volatile sig_atomic_t quit;

static void
on_sig(int sig)
{
	(void)sig;
	quit = 1;
}

static void
bar(char *out, size_t cap, double frac, int width)
{
	int fill;

	if (width < 1 || cap < (size_t)width + 3) {
		out[0] = '\0';
		return;
	}
	frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
	/* a non-zero share shows at least one mark, a partial one never a full bar */
	fill = (int)(frac * width + 0.5);
	if (fill == 0 && frac > 0)
		fill = 1;
	if (fill == width && frac < 1)
		fill = width - 1;
	out[0] = '[';
	for (int i = 0; i < width; i++)
		out[1 + i] = i < fill ? '#' : '.';
	out[width + 1] = ']';
	out[width + 2] = '\0';
}


static const char *const stage_order[] = {
	"none", "dhcp-discover", "dhcp-bound", "tftp-start", "tftp", "tftp-done",
	"tftp-failed", "http", "installing", "done", "failed",
};

/* Output of one frame.  Every line is cut at the terminal width (a wrapped
 * line would shift everything below it) and, on a terminal, ends with
 * "erase to end of line": the frame overwrites the previous one in place
 * instead of clearing the screen first, so it does not flicker. */
struct screen {
	bool ansi;
	int rows, cols, line;
};

static void __attribute__((format(printf, 2, 3)))
put(struct screen *sc, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sc->cols > 1 && (size_t)sc->cols - 1 < sizeof(b))
		b[sc->cols - 1] = '\0';
	fputs(b, stdout);
	fputs(sc->ansi ? "\033[K\n" : "\n", stdout);
	sc->line++;
}

static bool
in_stage(json_t *v, const char *stage)
{
	return strcmp(jstr(v, "stage"), stage) == 0;
}

/* A node between its first DHCP message and its final stage. */
static bool
is_active(json_t *v)
{
	return !in_stage(v, "none") && !in_stage(v, "done") && !in_stage(v, "tftp-done") &&
	       !in_stage(v, "failed") && !in_stage(v, "tftp-failed");
}

/* The booted and rates lines, from the storm object (control/daemon/storm.h);
 * the errors line below takes its drops, TFTP failures and HTTP errors. */
static void
storm_lines(struct screen *sc, json_t *storm)
{
	json_t *n = json_object_get(storm, "nodes"), *h = json_object_get(storm, "http");
	long long total = jint(n, "total");
	char b[64], clock[32];
	int w_bar;

	/* the storm's clock: from the first node seen to now, or to the last
	 * node that finished once none is left booting */
	w_bar = sc->cols - 70;
	w_bar = w_bar < 10 ? 10 : w_bar > 40 ? 40 : w_bar;
	bar(b, sizeof(b), total ? (double)jint(n, "booted") / (double)total : 0, w_bar);
	if (json_is_integer(json_object_get(n, "clock_ms")))
		snprintf(clock, sizeof(clock), "%.1fs", (double)jint(n, "clock_ms") / 1000.0);
	else
		snprintf(clock, sizeof(clock), "-");
	put(sc, "booted   %s %lld/%lld  (done %lld, tftp-done %lld)  failed %lld  elapsed %s", b,
	    jint(n, "booted"), total, jint(n, "done"), jint(n, "tftp_done"), jint(n, "failed"), clock);
	put(sc, "rates    DHCP %.1f/s  TFTP %.2f MB/s  HTTP %.1f req/s",
	    jnum(json_object_get(storm, "dhcp"), "per_s"),
	    jnum(json_object_get(storm, "tftp"), "mbytes_per_s"), jnum(h, "per_s"));
}

/* The running campaigns, one line each (else the newest finished one). */
static void
campaign_lines(struct screen *sc, const char *base)
{
	json_t *list, *arr, *k;
	char line[600];
	size_t i, shown = 0;
	int err;

	list = cli_fetch_json(base, "/api/campaigns", &err);
	arr = json_object_get(list, "campaigns");
	json_array_foreach(arr, i, k) {
		if (json_is_true(json_object_get(k, "finished")))
			continue;
		cli_campaign_line(k, line, sizeof(line));
		put(sc, "%s", line);
		shown++;
	}
	if (!shown && json_array_size(arr)) {
		cli_campaign_line(json_array_get(arr, json_array_size(arr) - 1), line, sizeof(line));
		put(sc, "%s", line);
	}
	json_decref(list);
}

static void
frame(const char *base, struct screen *sc, const char *footer)
{
	json_t *st, *storm = NULL, *nodes = NULL, *v, *stages, *jr, *h, *arr;
	long long total;
	size_t i, n_active = 0;
	int err, w_bar, w_file;
	char b[256], h1[32], h2[32];

	st = cli_fetch_json(base, "/api/status", &err);
	storm = st ? cli_fetch_json(base, "/api/storm", &err) : NULL;
	nodes = storm ? cli_fetch_json(base, "/api/nodes", &err) : NULL;
	sc->line = 0;
	if (sc->ansi)
		fputs("\033[H", stdout);
	if (!st || !storm || !nodes) {
		put(sc, "bootstorm watch: %s: %s (retrying)", base,
		    err == -EPROTO ? "bad HTTP answer" : strerror(-err));
		if (sc->ansi)
			fputs("\033[J", stdout);
		json_decref(st);
		json_decref(storm);
		fflush(stdout);
		return;
	}
	jr = json_object_get(st, "journal");
	h = json_object_get(storm, "http");
	stages = json_object_get(json_object_get(st, "nodes"), "by_stage");
	total = jint(json_object_get(st, "nodes"), "total");
	arr = json_object_get(nodes, "nodes");
	json_array_foreach(arr, i, v)
		n_active += is_active(v);

	put(sc, "bootstorm %s  %s  up %llds  config gen %lld  dataplane %s, %lld worker%s",
	    jstr(st, "version"), jstr(st, "name"), jint(st, "uptime_s"), jint(st, "config_gen"),
	    json_is_true(json_object_get(json_object_get(st, "dataplane"), "alive")) ? "UP" : "DOWN",
	    jint(json_object_get(st, "dataplane"), "workers"),
	    jint(json_object_get(st, "dataplane"), "workers") == 1 ? "" : "s");
	storm_lines(sc, storm);
	put(sc, "journal  %s  durable seq %lld  pending %lld  fsyncs %lld (avg %.0f us)  write errors %lld",
	    json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING (disk?)", jint(jr, "durable_seq"),
	    jint(jr, "pending"), jint(jr, "fsyncs"), jnum(jr, "fsync_avg_us"), jint(jr, "write_errors"));
	put(sc, "errors   drops %lld  tftp failed %lld  http 4xx/5xx %lld/%lld",
	    jint(json_object_get(storm, "drops"), "total"), jint(json_object_get(storm, "tftp"), "failed"),
	    jint(h, "errors_4xx"), jint(h, "errors_5xx"));
	campaign_lines(sc, base);
	put(sc, "%s", "");
	put(sc, "nodes per stage (%lld):", total);
	w_bar = sc->cols - 26;
	w_bar = w_bar < 10 ? 10 : w_bar > 40 ? 40 : w_bar;
	for (i = 0; i < sizeof(stage_order) / sizeof(stage_order[0]); i++) {
		long long n = jint(stages, stage_order[i]);

		bar(b, sizeof(b), total ? (double)n / (double)total : 0, w_bar);
		put(sc, "  %-14s %6lld %s", stage_order[i], n, b);
	}
	put(sc, "%s", "");
	put(sc, "active nodes (%zu):", n_active);
	/* "  name(12) ip(15) stage(13) file bar 100.0%  999.9 kB/999.9 kB":
	 * the file column is as wide as the longest name shown, the bar gets
	 * what the terminal has left */
	w_file = 8;
	json_array_foreach(arr, i, v) {
		int len = (int)strlen(jstr(v, "file"));

		if (is_active(v) && len > w_file)
			w_file = len > 32 ? 32 : len;
	}
	w_bar = sc->cols - 2 - 13 - 16 - 14 - (w_file + 1) - 2 - 28;
	w_bar = w_bar < 6 ? 6 : w_bar > 30 ? 30 : w_bar;
	json_array_foreach(arr, i, v) {
		const char *name = json_is_string(json_object_get(v, "name")) ? jstr(v, "name") : jstr(v, "mac");

		if (!is_active(v))
			continue;
		if (sc->line >= sc->rows - 2) {
			put(sc, "  ... (%zu more)", n_active);
			break;
		}
		n_active--;
		if (json_is_number(json_object_get(v, "progress"))) {
			bar(b, sizeof(b), jnum(v, "progress") / 100.0, w_bar);
			fmt_bytes((double)jint(v, "bytes"), h1, sizeof(h1));
			fmt_bytes((double)jint(v, "total"), h2, sizeof(h2));
			put(sc, "  %-12.12s %-15s %-13.13s %-*.*s %s %5.1f%%  %s/%s", name, jstr(v, "ip"),
			    jstr(v, "stage"), w_file, w_file, jstr(v, "file"), b, jnum(v, "progress"), h1, h2);
		} else {
			put(sc, "  %-12.12s %-15s %-13.13s %-.*s", name, jstr(v, "ip"), jstr(v, "stage"),
			    w_file, jstr(v, "file"));
		}
	}
	if (footer) {
		put(sc, "%s", "");
		put(sc, "%s", footer);
	}
	if (sc->ansi)
		fputs("\033[J", stdout); /* what the previous, longer frame left below */
	fflush(stdout);
	json_decref(st);
	json_decref(storm);
	json_decref(nodes);
}

/* on_opt of cmd_watch: --frames N (-n N). */
static int
on_frames(void *ctx, int key, const char *val)
{
	(void)key;
	*(long *)ctx = strtol(val, NULL, 10);
	return 0;
}

int
cmd_watch(int argc, char **argv)
{
	static const struct cli_opt own[] = {
		{ "frames", 'n', true, true },
		{ 0 },
	};
	struct cli_args a;
	struct termios saved, raw;
	struct sigaction sa = { .sa_handler = on_sig };
	bool tty = isatty(STDIN_FILENO), ansi = isatty(STDOUT_FILENO);
	long frames = -1;
	char base[1024];
	int rc = cli_client_parse(argc, argv, own, on_frames, &frames, &a);

	if (rc == CLI_EXIT_HELP)
		return rc;
	if (rc) {
		fprintf(stderr, "usage: bootstorm watch [-c FILE | --url URL] [--frames N]\n");
		return EXIT_USAGE;
	}
	if (cli_api_url(a.cfg, a.url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* keys are read only for a live view: a snapshot leaves the terminal be */
	if (tty && ansi && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	if (ansi)
		fputs("\033[?25l\033[H\033[2J", stdout); /* hide the cursor, clear once */
	while (!quit && frames != 0) {
		struct winsize ws = { .ws_row = 40, .ws_col = 100 };
		struct pollfd pf = { .fd = STDIN_FILENO, .events = POLLIN };
		struct screen sc = { .ansi = ansi };
		char ch;

		if (ansi)
			ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
		sc.rows = ws.ws_row ? ws.ws_row : 40;
		sc.cols = ws.ws_col ? ws.ws_col : 100;
		frame(base, &sc, !ansi ? NULL : tty ? "q: quit" : "Ctrl-C: quit");
		if (frames > 0 && --frames == 0)
			break;
		if (poll(&pf, tty ? 1 : 0, 1000) > 0 && read(STDIN_FILENO, &ch, 1) == 1 &&
		    (ch == 'q' || ch == 'Q' || ch == 3))
			break;
	}
	if (ansi)
		fputs("\033[?25h\n", stdout);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return EXIT_OK;
}
