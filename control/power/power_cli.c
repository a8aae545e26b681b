/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm power [-c CONFIG] NODES status|on|off|cycle|pxe|boot`: one
 * BMC operation on each node of a node set (names, ranges like
 * node[001-004], comma lists, or --all), through control/power.  Runs
 * locally (it needs the root-only credentials file), not through the API.
 *
 * `bootstorm console [-c CONFIG] NODE [--follow]`: the node's captured
 * serial console (control/power/sol.h), read from <state_dir>/console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/cfg.h"
#include "conf/cfg_parse.h"
#include "control/exit.h"
#include "control/power/power.h"
#include "control/power/power_cli.h"
#include "control/power/sol.h"

#define DEFAULT_CONFIG "/etc/bootstorm/bootstorm.yaml"

static int
one(const struct cfg *c, const struct pwr_creds *cr, const struct cfg_node *n, enum pwr_op op,
    const struct pwr_opts *o)
{
	struct bmc_addr a;
	const char *why;
	if (!n->bmc || cfgp_bmc_url(n->bmc, &a, &why) < 0) {
		printf("%s: error: no bmc in the inventory\n", n->name);
		return -1;
	}
	(void)c;
	struct pwr_result r;
	int rc = pwr_exec(&a, pwr_creds_find(cr, a.host), op, o, &r);
	if (rc < 0) {
		printf("%s: error: %s (%u tr%s)\n", n->name, r.err, r.tries, r.tries == 1 ? "y" : "ies");
		return -1;
	}
	if (op == PWR_STATUS)
		printf("%s: %s\n", n->name, r.on ? "on" : "off");
	else if (op == PWR_BOOT)
		printf("%s: ok (%s)\n", n->name, r.on ? "was on: cycled" : "was off: powered on");
	else
		printf("%s: ok\n", n->name);
	return 0;
}

/* One item of a node set: a name or a range; runs op on each. */
static int
item(const struct cfg *c, const struct pwr_creds *cr, const char *s, enum pwr_op op,
     const struct pwr_opts *o, int *bad)
{
	struct cfgp_nrange r;
	if (strchr(s, '[')) {
		if (cfgp_node_range(s, &r) < 0 || r.lo > r.hi) {
			fprintf(stderr, "bootstorm power: bad node range '%s'\n", s);
			return -EINVAL;
		}
		for (uint32_t k = r.lo; k <= r.hi; k++) {
			char name[160];
			snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width, k, r.suffix);
			const struct cfg_node *n = cfg_node_by_name(c, name);
			if (!n) {
				printf("%s: error: not in the inventory\n", name);
				(*bad)++;
			} else if (one(c, cr, n, op, o) < 0) {
				(*bad)++;
			}
		}
		return 0;
	}
	const struct cfg_node *n = cfg_node_by_name(c, s);
	if (!n) {
		printf("%s: error: not in the inventory\n", s);
		(*bad)++;
	} else if (one(c, cr, n, op, o) < 0) {
		(*bad)++;
	}
	return 0;
}

int
cmd_power(int argc, char **argv)
{
	const char *conf = DEFAULT_CONFIG;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-c")) {
		conf = argv[i + 1];
		i += 2;
	}
	int op = argc - i == 2 ? pwr_op_parse(argv[i + 1]) : -1;
	if (op < 0) {
		fprintf(stderr, "usage: bootstorm power [-c CONFIG] NODES|--all "
				"status|on|off|cycle|pxe|boot\n");
		return EXIT_USAGE;
	}
	struct cfg *c = cfg_load_report(conf, stderr);
	if (!c)
		return EXIT_USAGE;
	struct pwr_creds cr = { 0 };
	unsigned bad_line = 0;
	int rc = c->power_cred_file ? pwr_creds_load(c->power_cred_file, &cr, &bad_line) : -ENOENT;
	if (rc < 0) {
		if (rc == -EPERM)
			fprintf(stderr, "bootstorm power: %s: group or others may read it; chmod 600\n",
				c->power_cred_file);
		else if (rc == -EBADMSG)
			fprintf(stderr, "bootstorm power: %s:%u: expected 'host user password'\n",
				c->power_cred_file, bad_line);
		else
			fprintf(stderr, "bootstorm power: credentials file %s: %s\n",
				c->power_cred_file ? c->power_cred_file : "(power.credentials_file unset)",
				strerror(-rc));
		cfg_free(c);
		return EXIT_USAGE;
	}
	struct pwr_opts o = { c->power_timeout_ms, c->power_retries, 500,
			      getenv("BOOTSTORM_IPMITOOL"), c->power_redfish_ca,
			      c->power_ipmi_cipher };
	int bad = 0;
	if (!strcmp(argv[i], "--all")) {
		for (size_t k = 0; k < c->n_nodes; k++)
			if (one(c, &cr, &c->nodes[k], (enum pwr_op)op, &o) < 0)
				bad++;
	} else {
		char *list = strdup(argv[i]), *save = NULL;
		for (char *t = list ? strtok_r(list, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
			if (item(c, &cr, t, (enum pwr_op)op, &o, &bad) < 0)
				bad++;
		free(list);
	}
	pwr_creds_free(&cr);
	cfg_free(c);
	return bad ? EXIT_RUNTIME : EXIT_OK;
}

/* ---- bootstorm console ----------------------------------------------- */

/* Copies fd from its offset to stdout; the new offset. */
static off_t
copy_out(int fd, off_t off)
{
	char buf[8192];
	ssize_t k;

	while ((k = pread(fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)k, stdout);
		off += k;
	}
	fflush(stdout);
	return off;
}

/* --follow: print what is appended; the log rewritten by its bound (a new
 * inode, renamed over) is read again from its start. */
static int
follow(const char *path, int fd)
{
	struct stat st, now;
	off_t off = copy_out(fd, 0);

	if (fstat(fd, &st) < 0)
		return EXIT_RUNTIME;
	for (;;) {
		struct timespec ts = { 0, 250 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (stat(path, &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				st = now;
				fputs("\n[bootstorm console: log rotated by its bound]\n", stdout);
				off = 0;
			}
		}
		off = copy_out(fd, off);
	}
}

int
cmd_console(int argc, char **argv)
{
	const char *conf = DEFAULT_CONFIG, *node = NULL;
	bool fol = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f"))
			fol = true;
		else if (argv[i][0] != '-' && !node)
			node = argv[i];
		else
			node = NULL, i = argc;
	}
	if (!node) {
		fprintf(stderr, "usage: bootstorm console [-c CONFIG] NODE [--follow]\n");
		return EXIT_USAGE;
	}
	struct cfg *c = cfg_load_report(conf, stderr);
	if (!c)
		return EXIT_USAGE;
	char path[4096];
	int rc = cfg_node_by_name(c, node) ? sol_log_path(path, sizeof(path), c->state_dir, node)
					   : -ENOENT;
	cfg_free(c);
	if (rc < 0) {
		fprintf(stderr, "bootstorm console: %s: not in the inventory\n", node);
		return EXIT_USAGE;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bootstorm console: %s: %s (no console captured yet: "
				"power.console_capture or a campaign starts one)\n", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (fol)
		return follow(path, fd);
	copy_out(fd, 0);
	close(fd);
	return EXIT_OK;
}
