/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm import dnsmasq|dhcpd FILE [-o OUT]: an existing dnsmasq.conf or
 * ISC dhcpd.conf as a bootstorm YAML config (control/import does the
 * translation).  The YAML goes to stdout or, with -o, to OUT (written to a
 * temporary file and renamed, so a half-written config is never left); the
 * report of what could not be translated goes to stderr.
 * Exit: 0 written (even with items left out: the report says which), 1 the
 * input could not be read or the output written, 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/cli/cli.h"
#include "control/exit.h"
#include "control/import/bs_import.h"

static void
import_usage(FILE *f)
{
	fprintf(f, "usage: bootstorm import dnsmasq|dhcpd FILE [-o OUT.yaml]\n"
		   "  Translates an existing dnsmasq.conf or dhcpd.conf into a bootstorm\n"
		   "  config (stdout, or OUT.yaml); what could not be translated is listed\n"
		   "  on stderr.  Check the result with: bootstorm check-config OUT.yaml\n");
}

/* Copies the report to stderr; returns whether it had any line. */
static bool
print_report(FILE *report)
{
	char line[1024];
	bool any = false;

	rewind(report);
	while (fgets(line, sizeof(line), report)) {
		fputs(line, stderr);
		any = true;
	}
	return any;
}

int
cmd_import(int argc, char **argv)
{
	int (*fn)(const char *, FILE *, FILE *);
	const char *in, *out = NULL;
	char tmp[4096];
	FILE *yaml, *report;
	int rc;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		import_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "-o") == 0)) {
		import_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "dnsmasq") == 0)
		fn = bs_import_dnsmasq;
	else if (strcmp(argv[1], "dhcpd") == 0)
		fn = bs_import_dhcpd;
	else {
		fprintf(stderr, "bootstorm import: unknown format '%s' (dnsmasq or dhcpd)\n", argv[1]);
		return EXIT_USAGE;
	}
	in = argv[2];
	if (argc == 5)
		out = argv[4];

	report = tmpfile();
	if (!report) {
		fprintf(stderr, "bootstorm import: tmpfile: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (out) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid()) >= sizeof(tmp)) {
			fprintf(stderr, "bootstorm import: %s: name too long\n", out);
			fclose(report);
			return EXIT_USAGE;
		}
		yaml = fopen(tmp, "w");
		if (!yaml) {
			fprintf(stderr, "bootstorm import: %s: %s\n", tmp, strerror(errno));
			fclose(report);
			return EXIT_RUNTIME;
		}
	} else {
		yaml = stdout;
	}

	rc = fn(in, yaml, report);
	if (out) {
		if (fflush(yaml) != 0 || fsync(fileno(yaml)) != 0)
			rc = rc ? rc : -errno;
		if (fclose(yaml) != 0)
			rc = rc ? rc : -errno;
		if (rc == 0 && rename(tmp, out) != 0)
			rc = -errno;
		if (rc != 0)
			unlink(tmp);
	} else if (fflush(stdout) != 0) {
		rc = rc ? rc : -errno;
	}
	bool reported = print_report(report);
	fclose(report);
	if (rc != 0) {
		fprintf(stderr, "bootstorm import: %s: %s\n", in, strerror(-rc));
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "bootstorm import: %s -> %s%s\n", in, out ? out : "stdout",
		reported ? ": read the report above before using it" : "");
	return EXIT_OK;
}
