/* SPDX-License-Identifier: BSD-3-Clause
 * The client commands' shared option loop (cli_client_parse,
 * control/cli/cli_util.h) and the exit codes of the commands built on it:
 * campaign, discovered, enroll, reimage/localboot, watch.  A URL on
 * loopback port 1 (nothing listens) tells "parsed, then could not reach the
 * server" (EXIT_RUNTIME) apart from the usage errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"

#define DEAD "http://127.0.0.1:1"

/* Runs cmd on the words of a NULL-ended list (getopt permutes argv, so a
 * writable copy). */
static int
run(int (*cmd)(int, char **), const char *const *words)
{
	char *argv[128];
	int argc = 0, rc;

	for (; words[argc]; argc++)
		argv[argc] = strdup(words[argc]);
	argv[argc] = NULL;
	rc = cmd(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

struct seen {
	char log[256];
};

static int
record(void *ctx, int key, const char *val)
{
	struct seen *s = ctx;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%c=%s;", key, val ? val : "-");
	return key == 'x' ? 42 : 0;
}

static const struct cli_opt own[] = {
	{ "name", 'n', true, true },
	{ "json", 'j', false, true },
	{ "long-only", 'L', true, false },
	{ "stop", 'x', false, false },
	{ 0 },
};

static int
parse(const char *const *words, struct seen *s, struct cli_args *a, char ***argv_out)
{
	static char *argv[32];
	int argc = 0;

	for (; words[argc]; argc++)
		argv[argc] = (char *)words[argc];
	argv[argc] = NULL;
	memset(s, 0, sizeof(*s));
	*argv_out = argv;
	return cli_client_parse(argc, argv, own, record, s, a);
}

static void
test_parse(void **state)
{
	struct seen s;
	struct cli_args a;
	char **argv;
	(void)state;

	/* options before, between and after positionals; the shared ones too */
	const char *w1[] = { "cmd", "status", "-c", "f.yaml", "ID", "--name", "n1", "-j",
			     "--long-only", "v", "--url", "http://x", NULL };
	assert_int_equal(parse(w1, &s, &a, &argv), 0);
	assert_string_equal(a.cfg, "f.yaml");
	assert_string_equal(a.url, "http://x");
	assert_string_equal(s.log, "n=n1;j=-;L=v;");
	assert_int_equal(a.first, 10);
	assert_string_equal(argv[a.first], "status");
	assert_string_equal(argv[a.first + 1], "ID");

	const char *w2[] = { "cmd", NULL };
	assert_int_equal(parse(w2, &s, &a, &argv), 0);
	assert_null(a.cfg);
	assert_null(a.url);
	assert_int_equal(a.first, 1);

	const char *w3[] = { "cmd", "-n", "a", "--help", "x", NULL };
	assert_int_equal(parse(w3, &s, &a, &argv), CLI_EXIT_HELP);
	const char *w4[] = { "cmd", "--bogus", NULL };
	assert_int_equal(parse(w4, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	const char *w5[] = { "cmd", "-L", "v", NULL }; /* long-only has no -L */
	assert_int_equal(parse(w5, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	const char *w6[] = { "cmd", "--name", NULL }; /* value missing */
	assert_int_equal(parse(w6, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	/* on_opt's verdict ends the parse, options after it unread */
	const char *w7[] = { "cmd", "-j", "--stop", "-n", "z", NULL };
	assert_int_equal(parse(w7, &s, &a, &argv), 42);
	assert_string_equal(s.log, "j=-;x=-;");

	/* the no-positional wrapper */
	char out[256];
	char *b1[] = { "status", "--url", "http://h:1/", NULL };
	assert_int_equal(cli_client_base(3, b1, out, sizeof(out)), 0);
	assert_string_equal(out, "http://h:1");
	char *b2[] = { "status", "--url", "http://h:1", "extra", NULL };
	assert_int_equal(cli_client_base(4, b2, out, sizeof(out)), -EINVAL);
	char *b3[] = { "status", "-h", NULL };
	assert_int_equal(cli_client_base(2, b3, out, sizeof(out)), 1);
}

static void
test_commands(void **state)
{
	(void)state;
	unsetenv("BOOTSTORM_URL");

	/* campaign: action and id checked before the server is asked */
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "list", NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "status", "c1", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "status", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "list", "x", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "status", "a/b", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--help", NULL }), CLI_EXIT_HELP);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--json", "list", NULL }),
			 CLI_EXIT_USAGE_TEXT);

	/* discovered: --json / -j, no positional */
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "--json", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "-j", "-u", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "--url", DEAD, "x", NULL }),
			 CLI_EXIT_USAGE_TEXT);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "-h", NULL }), CLI_EXIT_HELP);

	/* enroll: MAC and --name required */
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "52:54:00:00:00:01", "--name", "n1",
							   "-p", "centos7", "--ip", "10.0.0.5", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "52:54:00:00:00:01", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "-n", "n1", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "--bogus", NULL }), CLI_EXIT_USAGE_TEXT);

	/* reimage / localboot */
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "node1", "--profile", "p", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--all", "--rate", "5", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "node1", "--rate", "5x", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--url", DEAD, NULL }), EXIT_USAGE);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--all", "n1", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--url", DEAD, NULL }), EXIT_RUNTIME);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "-p", "x", "--url", DEAD, NULL }),
			 CLI_EXIT_USAGE_TEXT);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--power", "--url", DEAD, NULL }),
			 CLI_EXIT_USAGE_TEXT);
	/* a campaign option on localboot: the "whole number" message, as before */
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--rate", "5", "--url", DEAD, NULL }),
			 EXIT_USAGE);

	/* a campaign option repeated past the query buffer: refused, not
	 * written past it (the old loop's offset ran beyond the buffer) */
	const char *many[100] = { "reimage", "n1", "--url", DEAD };
	int nw = 4;
	while (nw < 96) {
		many[nw++] = "--max-in-flight";
		many[nw++] = "123456789";
	}
	many[nw] = NULL;
	assert_int_equal(run(cmd_reimage, many), EXIT_USAGE);

	/* watch: bad option is its own usage line, exit 2 */
	assert_int_equal(run(cmd_watch, (const char *[]){ "watch", "--bogus", NULL }), EXIT_USAGE);
}

/* ---- one canned answer per connection, on loopback -------------------- */

static int lfd = -1;
static char base[64];
static const char *canned; /* the whole HTTP answer */
static char last_req[512]; /* request line of the last request */

static void *
server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char buf[4096];
		size_t n = 0;
		ssize_t k;

		if (c < 0)
			return NULL;
		while (n < sizeof(buf) - 1 && (k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
			n += (size_t)k;
			buf[n] = 0;
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		buf[n] = 0;
		snprintf(last_req, sizeof(last_req), "%.*s", (int)strcspn(buf, "\r"), buf);
		if (write(c, canned, strlen(canned)) < 0)
			perror("write");
		close(c);
	}
}

static int
start_server(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	pthread_t th;
	(void)state;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", ntohs(a.sin_port));
	if (pthread_create(&th, NULL, server_main, NULL) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

static void
answer(const char *status, const char *body)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 status, strlen(body), body);
	canned = buf;
}

/* What the POSTing commands make of the server's answer: the status maps
 * to the exit code, the error text is the API's "error" (else the body). */
static void
test_post_answers(void **state)
{
	char out[256];
	(void)state;

	/* enroll: 200 ok, 202 written but not installed (1), 409/422 usage (2), 500 runtime */
	answer("200 OK", "{\"result\":\"enrolled\"}");
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "52:54:00:00:00:01", "--name", "n1", "-p", "p x",
							   "--url", base, NULL }),
			 EXIT_OK);
	assert_string_equal(last_req, "POST /api/discovered/52%3A54%3A00%3A00%3A00%3A01/enroll?name=n1&profile=p%20x HTTP/1.1");
	answer("202 Accepted", "{\"result\":\"written\"}");
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "m", "--name", "n1", "--url", base, NULL }),
			 EXIT_RUNTIME);
	answer("409 Conflict", "{\"error\":\"duplicate\"}");
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "m", "--name", "n1", "--url", base, NULL }),
			 EXIT_USAGE);
	answer("422 Unprocessable Content", "{\"error\":\"bad\"}");
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "m", "--name", "n1", "--url", base, NULL }),
			 EXIT_USAGE);
	answer("500 Internal Server Error", "not json");
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "m", "--name", "n1", "--url", base, NULL }),
			 EXIT_RUNTIME);

	/* reimage / localboot: 200 ok, 404 usage, 500 runtime; the error text */
	answer("200 OK", "{\"nodes\":[\"n1\"],\"state\":\"local\",\"changed\":1}");
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "n2", "--url", base, NULL }),
			 EXIT_OK);
	assert_string_equal(last_req, "POST /api/nodes/n1%2Cn2/localboot HTTP/1.1");
	answer("404 Not Found", "{\"error\":\"no such node: zz\"}");
	FILE *tmp = tmpfile();
	int saved = dup(2);
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	int rc404 = run(cmd_reimage, (const char *[]){ "reimage", "zz", "--url", base, NULL });
	answer("500 Internal Server Error", "plain words");
	int rc500 = run(cmd_reimage, (const char *[]){ "reimage", "zz", "--url", base, NULL });
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	assert_int_equal(rc404, EXIT_USAGE);
	assert_int_equal(rc500, EXIT_RUNTIME);
	assert_non_null(strstr(out, "reimage: HTTP 404: no such node: zz\n"));
	assert_non_null(strstr(out, "reimage: HTTP 500: plain words\n"));

	/* campaign: cancel 200 ok; 409 usage; create (reimage --power) */
	answer("200 OK", "{\"id\":\"c1\"}");
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "cancel", "c1", "--url", base, NULL }),
			 EXIT_OK);
	assert_string_equal(last_req, "POST /api/campaigns/c1/cancel HTTP/1.1");
	answer("409 Conflict", "{\"error\":\"finished\"}");
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "retry-failed", "c1", "--url", base, NULL }),
			 EXIT_USAGE);
	answer("200 OK", "{\"id\":\"c2\",\"nodes_total\":2}");
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "n[1-2]", "--power", "--rate", "5", "--url", base, NULL }),
			 EXIT_OK);
	assert_string_equal(last_req, "POST /api/campaigns?nodes=n%5B1-2%5D&rate=5&power=1 HTTP/1.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_commands),
		cmocka_unit_test_setup(test_post_answers, start_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
