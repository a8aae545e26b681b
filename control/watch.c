/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm watch`: a live view of a running server from its JSON API.
 * Plain ANSI escapes (works in any terminal, tmux included, no curses),
 * redrawn about once a second; q or Ctrl-C quits and restores the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "control/cli.h"
#include "control/cli_util.h"

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
	fill = (int)(frac * width + 0.5);
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

static void
frame(const char *base, int rows, int cols, bool ansi)
{
	json_t *st, *nodes, *v, *stages, *jr, *rates, *ctr, *dp;
	int err, line = 0;
	long long total;
	size_t i;
	char b[256];

	st = cli_fetch_json(base, "/api/status", &err);
	nodes = st ? cli_fetch_json(base, "/api/nodes", &err) : NULL;
	if (ansi)
		fputs("\033[H\033[2J", stdout);
	if (!st || !nodes) {
		printf("bootstorm watch: %s: %s (retrying; q quits)\n", base,
		       err == -EPROTO ? "bad HTTP answer" : strerror(-err));
		json_decref(st);
		fflush(stdout);
		return;
	}
	dp = json_object_get(st, "dataplane");
	jr = json_object_get(st, "journal");
	rates = json_object_get(st, "rates");
	ctr = json_object_get(st, "counters");
	stages = json_object_get(json_object_get(st, "nodes"), "by_stage");
	total = jint(json_object_get(st, "nodes"), "total");
	printf("bootstorm %s  %s  up %llds  config gen %lld  dataplane %s (%lld workers)\n",
	       jstr(st, "version"), jstr(st, "name"), jint(st, "uptime_s"), jint(st, "config_gen"),
	       json_is_true(json_object_get(dp, "alive")) ? "UP" : "DOWN", jint(dp, "workers"));
	printf("rates: %8.1f DHCP/s  %8.2f MB/s TFTP  %8.1f HTTP req/s\n", jnum(rates, "dhcp_per_s"),
	       jnum(rates, "tftp_mbytes_per_s"), jnum(rates, "http_per_s"));
	printf("journal: %s  durable seq %lld  pending %lld  fsyncs %lld (avg %.0f us)  errors %lld\n",
	       json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING (disk?)",
	       jint(jr, "durable_seq"), jint(jr, "pending"), jint(jr, "fsyncs"),
	       jnum(jr, "fsync_avg_us"), jint(jr, "write_errors"));
	printf("errors: drops %lld  tftp failed %lld  http 4xx/5xx %lld/%lld\n", jint(ctr, "drops"),
	       jint(ctr, "TFTP_XFER_FAILED"),
	       jint(json_object_get(st, "http"), "403") + jint(json_object_get(st, "http"), "404") +
		       jint(json_object_get(st, "http"), "416"),
	       jint(json_object_get(st, "http"), "500"));
	line = 4;
	printf("\nnodes per stage (%lld):\n", total);
	line += 2;
	for (i = 0; i < sizeof(stage_order) / sizeof(stage_order[0]); i++) {
		long long n = jint(stages, stage_order[i]);

		bar(b, sizeof(b), total ? (double)n / (double)total : 0, cols > 60 ? 40 : 20);
		printf("  %-14s %6lld %s\n", stage_order[i], n, b);
		line++;
	}
	printf("\ntransfers in progress:\n");
	line += 2;
	json_array_foreach(json_object_get(nodes, "nodes"), i, v) {
		const char *stg = jstr(v, "stage");

		if (strcmp(stg, "tftp") != 0 && strcmp(stg, "tftp-start") != 0)
			continue;
		if (line >= rows - 2) {
			printf("  ...\n");
			break;
		}
		bar(b, sizeof(b), jnum(v, "progress") / 100.0, cols > 100 ? 30 : 16);
		printf("  %-12.12s %-15s %-24.24s %s %5.1f%% %lld/%lld\n",
		       json_is_string(json_object_get(v, "name")) ? jstr(v, "name") : jstr(v, "mac"),
		       jstr(v, "ip"), jstr(v, "file"), b, jnum(v, "progress"), jint(v, "bytes"),
		       jint(v, "total"));
		line++;
	}
	printf("\nq: quit\n");
	fflush(stdout);
	json_decref(st);
	json_decref(nodes);
}

int
cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "frames", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *cfg = NULL, *url = NULL;
	struct termios saved, raw;
	struct sigaction sa = { .sa_handler = on_sig };
	bool tty = isatty(STDIN_FILENO), ansi = isatty(STDOUT_FILENO);
	long frames = -1;
	char base[1024];
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:u:n:", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfg = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'n':
			frames = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bootstorm watch [-c FILE | --url URL] [--frames N]\n");
			return EXIT_USAGE;
		}
	}
	if (cli_api_url(cfg, url, base, sizeof(base)) < 0)
		return EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	if (ansi)
		fputs("\033[?25l", stdout); /* hide the cursor while redrawing */
	while (!quit && frames != 0) {
		struct winsize ws = { .ws_row = 40, .ws_col = 100 };
		struct pollfd pf = { .fd = STDIN_FILENO, .events = POLLIN };
		char ch;

		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
		frame(base, ws.ws_row ? ws.ws_row : 40, ws.ws_col ? ws.ws_col : 100, ansi);
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
