/* SPDX-License-Identifier: BSD-3-Clause
 * The daemon's campaign host (control/daemon/campaigns.c) without BMCs
 * (power off: nodes rebooted by hand): a campaign is on disk when create
 * returns, set_boot reaches nodestate, the bootview hook's DHCP DISCOVER
 * and fetches and the installer's report drive it, a restart resumes it
 * (a report whose campaign save was lost is taken from nodestate), bad
 * requests are refused, and the console tail reader.  With BMCs (a fake
 * ipmitool): a node's boot state is on disk before any BMC op for it is
 * sent, and no op is sent when that state cannot be saved. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/daemon/api_camp.h"
#include "control/daemon/campaigns.h"
#include "control/daemon/nodestate.h"
#include "tests/unit/control/ctl_testcfg.h"

static char dir[64];
static struct ctl ctl;
static const uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 };

static void
start(void)
{
	atomic_store(&ctl.stop, false);
	assert_int_equal(camps_start(&ctl), 0);
}

static int
setup(void **state)
{
	char p[4096];
	FILE *f;

	(void)state;
	tcfg_dir(dir, sizeof(dir), "camps");
	snprintf(p, sizeof(p), "mkdir -p %s/state/console", dir);
	assert_int_equal(system(p), 0);
	/* BMCs b01, b02 on 127.0.0.1:62301-2: a fake ipmitool that logs, per
	 * op, whether the node's install state was on disk when it ran */
	snprintf(p, sizeof(p), "%s/creds", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "127.0.0.1 admin pw\n");
	fclose(f);
	assert_int_equal(chmod(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/ipmitool", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		   "while [ $# -gt 3 ]; do [ \"$1\" = -p ] && port=$2; shift; done\n"
		   "n=b0$((port - 62300))\n"
		   "grep -q \"^$n install \" %s/state/nodestate && d=ondisk || d=MISSING\n"
		   "echo \"$n $2 $3 $d\" >> %s/bmc.log\n"
		   "[ \"$3\" = status ] && echo 'Chassis Power is off'\n"
		   "exit 0\n", dir, dir);
	fclose(f);
	assert_int_equal(chmod(p, 0755), 0);
	setenv("BOOTSTORM_IPMITOOL", p, 1);
	snprintf(p, sizeof(p),
		 "server: { name: t, instance: camptest, state_dir: %s/state, ip: 10.0.0.1/24 }\n"
		 "dataplane: { ports: [ { dev: net_null0 } ], workers: 1 }\n"
		 "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.199] }\n"
		 "boot: { files: { bios: pxelinux.0 } }\n"
		 "tftp: { root: %s/tftp }\n"
		 "http: { listen: 10.0.0.1:8080, repo_root: %s, templates: %s/tmpl }\n"
		 "power: { install_deadline: 600s, credentials_file: %s/creds, retries: 0 }\n"
		 "profiles:\n"
		 "  - { name: p1, kernel: k/vmlinuz, initrd: k/initrd, append: x }\n"
		 "  - { name: p2, kernel: k/vmlinuz, initrd: k/initrd, append: y }\n"
		 "nodes:\n"
		 "  - { range: \"node[01-04]\", mac: 52:54:00:00:00:01, ip: 10.0.0.11, profile: p1 }\n"
		 "  - { name: b01, mac: 52:54:00:00:01:01, ip: 10.0.0.21, bmc: \"ipmi://127.0.0.1:62301\" }\n"
		 "  - { name: b02, mac: 52:54:00:00:01:02, ip: 10.0.0.22, bmc: \"ipmi://127.0.0.1:62302\" }\n",
		 dir, dir, dir, dir, dir);
	memset(&ctl, 0, sizeof(ctl));
	ctl.repo_fd = ctl.tftp_fd = ctl.gen_fd = -1;
	pthread_rwlock_init(&ctl.cfg_lock, NULL);
	ctl.cfg = tcfg_load(dir, p);
	snprintf(p, sizeof(p), "%s/state", dir);
	assert_int_equal(ns_open(&ctl.ns, p), 0);
	assert_int_equal(bv_init(&ctl.bv, 64), 0);
	start();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	camps_stop(&ctl);
	bv_free(&ctl.bv);
	ns_close(&ctl.ns);
	cfg_free(ctl.cfg);
	return tcfg_rmdir(dir);
}

static const char *
stage_of(const char *id, const char *node)
{
	static char st[32];
	json_t *j = camps_one_json(&ctl, id), *n;
	size_t i;

	st[0] = 0;
	json_array_foreach(json_object_get(j, "nodes"), i, n)
		if (!strcmp(json_string_value(json_object_get(n, "name")), node))
			snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(n, "stage")));
	json_decref(j);
	return st;
}

/* Polls (the tick thread runs every 100 ms) for at most 3 s. */
static bool
wait_stage(const char *id, const char *node, const char *want)
{
	for (int k = 0; k < 60; k++) {
		if (!strcmp(stage_of(id, node), want))
			return true;
		usleep(50000);
	}
	fprintf(stderr, "%s %s: %s, wanted %s\n", id, node, stage_of(id, node), want);
	return false;
}

static int
file_stage(const char *id, const char *node)
{
	char p[256], line[512], name[64];
	unsigned st = 99;
	FILE *f;

	snprintf(p, sizeof(p), "%s/state/campaigns/%s", dir, id);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "node %63s %u", name, &st) == 2 && !strcmp(name, node))
			break;
	fclose(f);
	return (int)st;
}

static void
test_lifecycle(void **state)
{
	struct camp_params p;
	struct ns_rec r;
	char id[32], msg[300];

	(void)state;
	camps_default_params(ctl.cfg, &p);
	p.power = false;
	p.max_in_flight = 1;
	p.power_on_rate = 1000;
	assert_int_equal(camps_create(&ctl, "node[01-02]", "p2", &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_string_equal(id, "c1");
	/* acknowledged = on disk */
	assert_int_equal(file_stage("c1", "node01"), CS_QUEUED);
	assert_true(wait_stage("c1", "node01", "waiting-dhcp"));
	assert_true(ns_get(&ctl.ns, "node01", &r));
	assert_int_equal(r.state, NS_INSTALL);
	assert_string_equal(r.profile, "p2");
	/* max_in_flight 1: node02 waits for node01's DHCP */
	assert_string_equal(stage_of("c1", "node02"), "queued");

	/* refused: a node already in a running campaign, an unknown node, a
	 * profile that does not exist */
	assert_int_equal(camps_create(&ctl, "node02,node03", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 409);
	assert_int_equal(camps_create(&ctl, "node09", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 404);
	assert_int_equal(camps_create(&ctl, "node03", "nope", &p, id, sizeof(id), msg, sizeof(msg)), 400);
	/* BMC power asked of nodes without a bmc: (and no credentials file) */
	p.power = true;
	assert_int_equal(camps_create(&ctl, "node03", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 400);
	p.power = false;

	/* inputs through the boot view's hook (MAC -> node) */
	bv_set_stage(&ctl.bv, mac1, 0, BOOT_STAGE_DHCP_DISCOVER, NULL, 1);
	assert_true(wait_stage("c1", "node01", "installing"));
	assert_true(wait_stage("c1", "node02", "waiting-dhcp"));
	bv_set_stage(&ctl.bv, mac1, 0, BOOT_STAGE_HTTP, "centos7/vmlinuz", 2);
	json_t *j = camps_one_json(&ctl, "c1");

	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "nodes"), 0), "step")), "kernel");
	json_decref(j);
	bv_set_stage(&ctl.bv, mac1, 0, BOOT_STAGE_INSTALLING, "ks", 2);
	pthread_rwlock_rdlock(&ctl.cfg_lock);
	camps_on_report(&ctl, "node01", true, NULL);
	pthread_rwlock_unlock(&ctl.cfg_lock);
	assert_string_equal(stage_of("c1", "node01"), "done");
	assert_int_equal(file_stage("c1", "node01"), CS_DONE); /* saved at once */

	/* a crash loses node02's report in the campaign file; nodestate has
	 * it (local after the campaign's stage began): taken on resume */
	camps_stop(&ctl);
	assert_int_equal(ns_set(&ctl.ns, "node02", NS_LOCAL, NULL, NULL, bs_real_ms() + 5), 1);
	start();
	assert_string_equal(stage_of("c1", "node02"), "done");
	assert_string_equal(stage_of("c1", "node01"), "done");
	json_t *l = camps_list_json(&ctl);

	assert_int_equal(json_array_size(json_object_get(l, "campaigns")), 1);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(l, "campaigns"), 0), "finished")));
	json_decref(l);
	/* the next id follows the resumed ones */
	assert_int_equal(camps_create(&ctl, "node03", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_string_equal(id, "c2");
	assert_int_equal(camps_cancel(&ctl, "c2"), 0);
	assert_string_equal(stage_of("c2", "node03"), "cancelled");
	assert_int_equal(camps_cancel(&ctl, "c9"), 404);
}

static void
test_failed_retry(void **state)
{
	struct camp_params p;
	char id[32], msg[300];
	uint32_t n = 0;

	(void)state;
	camps_default_params(ctl.cfg, &p);
	p.power = false;
	assert_int_equal(camps_create(&ctl, "node04", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_true(wait_stage(id, "node04", "waiting-dhcp"));
	pthread_rwlock_rdlock(&ctl.cfg_lock);
	camps_on_report(&ctl, "node04", false, "disk \x1b[31mgone");
	pthread_rwlock_unlock(&ctl.cfg_lock);
	assert_string_equal(stage_of(id, "node04"), "failed");
	json_t *j = camps_one_json(&ctl, id);
	const char *why = json_string_value(json_object_get(json_array_get(json_object_get(j, "nodes"), 0), "reason"));

	assert_non_null(strstr(why, "installer reported failure: disk \\x1b[31mgone"));
	json_decref(j);
	assert_int_equal(camps_retry(&ctl, id, &n), 0);
	assert_int_equal(n, 1);
	assert_true(wait_stage(id, "node04", "waiting-dhcp"));
}

/* More campaigns than the host keeps: the oldest finished one is retired
 * (file kept as <id>.old, not loaded again); ids go on after a restart. */
static void
test_retire(void **state)
{
	struct camp_params p;
	char id[32], msg[300], path[256];

	(void)state;
	camps_default_params(ctl.cfg, &p);
	p.power = false;
	for (int k = 0; k < 257; k++) {
		assert_int_equal(camps_create(&ctl, "node01", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 0);
		assert_int_equal(camps_cancel(&ctl, id), 0);
	}
	assert_string_equal(id, "c257");
	snprintf(path, sizeof(path), "%s/state/campaigns/c1.old", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/state/campaigns/c1", dir);
	assert_int_equal(access(path, F_OK), -1);
	json_t *l = camps_list_json(&ctl);

	assert_int_equal(json_array_size(json_object_get(l, "campaigns")), 256);
	json_decref(l);
	assert_null(camps_one_json(&ctl, "c1"));
	camps_stop(&ctl);
	start();
	l = camps_list_json(&ctl);
	assert_int_equal(json_array_size(json_object_get(l, "campaigns")), 256);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(l, "campaigns"), 0), "id")), "c2");
	json_decref(l);
	assert_int_equal(camps_create(&ctl, "node02", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_string_equal(id, "c258");
}

static void
test_console_tail(void **state)
{
	char p[256];
	FILE *f;
	json_t *a;

	(void)state;
	a = api_console_tail(ctl.cfg->state_dir, "node01", 20);
	assert_int_equal(json_array_size(a), 0); /* no file: nothing */
	json_decref(a);
	snprintf(p, sizeof(p), "%s/console/node01.log", ctl.cfg->state_dir);
	f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 1; i <= 30; i++)
		fprintf(f, "line %d%s\r\n", i, i == 29 ? "\x1b[2J" : "");
	fclose(f);
	a = api_console_tail(ctl.cfg->state_dir, "node01", 20);
	assert_int_equal(json_array_size(a), 20);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "line 11");
	assert_string_equal(json_string_value(json_array_get(a, 18)), "line 29");
	assert_string_equal(json_string_value(json_array_get(a, 19)), "line 30");
	json_decref(a);
	/* what SeaBIOS/GRUB and ipmitool write around the text: shown
	 * without escapes, blank and ipmitool session lines skipped */
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "[SOL Session operational.  Use ~? for help]\r\n"
		   "\x1b[2J\x1b[1;1H\x1b(B\x1b]0;title\x07" "Booting from ROM...\r\n"
		   "\x1b[0m\x1b[37;40m   \r\n"
		   "installer: \x1b[1mstage kickstart\x1b[0m hung\x01\r\n"
		   "~. [terminated ipmitool]\r\n");
	fclose(f);
	a = api_console_tail(ctl.cfg->state_dir, "node01", 20);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "Booting from ROM...");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "installer: stage kickstart hung");
	json_decref(a);
	a = api_console_tail(ctl.cfg->state_dir, "node01", 1);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "installer: stage kickstart hung");
	json_decref(a);
	a = api_console_tail(ctl.cfg->state_dir, "../x", 20);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	/* a file larger than the bytes read: the cut first line is dropped */
	f = fopen(p, "w");
	for (int i = 0; i < 2000; i++)
		fprintf(f, "long line number %05d of the console\n", i);
	fclose(f);
	a = api_console_tail(ctl.cfg->state_dir, "node01", 3);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_array_get(a, 2)), "long line number 01999 of the console");
	json_decref(a);
}

/* The fake ipmitool's lines about node n (NULL: all) into buf. */
static int
bmc_log(const char *n, char *buf, size_t cap)
{
	char p[128], line[256];
	int k = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/bmc.log", dir);
	buf[0] = 0;
	if (!(f = fopen(p, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!n || !strncmp(line, n, strlen(n))) {
			strncat(buf, line, cap - strlen(buf) - 1);
			k++;
		}
	fclose(f);
	return k;
}

/* A campaign stages its nodes' install state in memory and saves it off
 * its clock thread (once for every start of a batch): the save must come
 * before any BMC op for the node, or a crash after the power-on loses
 * the state the node boots with. */
static void
test_state_before_power(void **state)
{
	struct camp_params p;
	struct ns_rec r;
	char id[32], msg[300], log[2048], path[256];

	(void)state;
	camps_default_params(ctl.cfg, &p);
	p.power = true;
	p.max_in_flight = 2;
	p.power_on_rate = 1000;
	assert_int_equal(camps_create(&ctl, "b01,b02", "p2", &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_true(wait_stage(id, "b01", "waiting-dhcp"));
	assert_true(wait_stage(id, "b02", "waiting-dhcp"));
	/* bootdev pxe, power status, power on: each found the state on disk */
	assert_int_equal(bmc_log("b01", log, sizeof(log)), 3);
	assert_int_equal(bmc_log("b02", log + strlen(log), sizeof(log) - strlen(log)), 3);
	assert_null(strstr(log, "MISSING"));
	assert_non_null(strstr(log, "b01 bootdev pxe ondisk"));
	assert_non_null(strstr(log, "b02 power on ondisk"));
	assert_int_equal(camps_cancel(&ctl, id), 0);

	/* the save fails (its temp file cannot be created): no BMC op at
	 * all, the node fails saying why; memory keeps the state */
	snprintf(path, sizeof(path), "%s/state/nodestate.tmp", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ns_set(&ctl.ns, "b01", NS_LOCAL, NULL, NULL, bs_real_ms()), -EISDIR);
	snprintf(msg, sizeof(msg), "%s/bmc.log", dir);
	unlink(msg);
	assert_int_equal(camps_create(&ctl, "b01", NULL, &p, id, sizeof(id), msg, sizeof(msg)), 0);
	assert_true(wait_stage(id, "b01", "failed"));
	assert_int_equal(bmc_log(NULL, log, sizeof(log)), 0);
	json_t *j = camps_one_json(&ctl, id);
	const char *why = json_string_value(json_object_get(json_array_get(json_object_get(j, "nodes"), 0), "reason"));

	assert_non_null(strstr(why, "boot state not saved"));
	json_decref(j);
	assert_true(ns_get(&ctl.ns, "b01", &r));
	assert_int_equal(r.state, NS_INSTALL);
	rmdir(path);
}

/* A fleet campaign's share: created empty with the fleet campaign's id,
 * claimed nodes added (MAC index rebuilt: DHCP drives them), a node
 * released to another server dropped (not read back, not saved), the pace
 * set again by a second open, and after a restart the share is held (no
 * node starts) until the agent lets it go. */
static void
test_fleet_share(void **state)
{
	struct camp_params p;
	struct camps_fnode *v;
	uint32_t n;
	bool held = true;
	char ids[4][32];

	(void)state;
	camps_default_params(ctl.cfg, &p);
	p.power = false;
	p.power_on_rate = 1000;
	assert_int_equal(camps_fleet_open(&ctl, "fleet-7", &p, NULL, &held), 0);
	assert_false(held);
	assert_int_equal(camps_fleet_open(&ctl, "bad.id", &p, NULL, &held), -EINVAL);
	uint32_t nheld = 9;

	assert_int_equal(camps_fleet_ids(&ctl, ids, 4, &nheld), 0); /* no node: finished */
	const char *two[] = { "node01", "node02" };

	assert_int_equal(camps_fleet_add(&ctl, "fleet-7", two, 2), 2);
	assert_int_equal(camps_fleet_ids(&ctl, ids, 4, &nheld), 1);
	assert_int_equal(nheld, 0);
	assert_string_equal(ids[0], "fleet-7");
	assert_int_equal(camps_fleet_add(&ctl, "fleet-7", two, 2), 0); /* running: left alone */
	assert_int_equal(camps_fleet_add(&ctl, "nope", two, 2), -ENOENT);
	assert_true(wait_stage("fleet-7", "node01", "waiting-dhcp"));
	bv_set_stage(&ctl.bv, mac1, 0, BOOT_STAGE_DHCP_DISCOVER, NULL, 1);
	assert_true(wait_stage("fleet-7", "node01", "installing"));
	assert_int_equal(camps_fleet_drop(&ctl, "fleet-7", two + 1, 1), 1);
	assert_int_equal(camps_fleet_read(&ctl, "fleet-7", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "node01");
	assert_int_equal(v[0].stage, CS_INSTALLING);
	assert_string_equal(v[0].inst_stage, "dhcp");
	free(v);
	char path[256], text[4096] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/state/campaigns/fleet-7", dir);
	assert_non_null(f = fopen(path, "r"));
	text[fread(text, 1, sizeof(text) - 1, f)] = 0;
	fclose(f);
	assert_null(strstr(text, "node node02 ")); /* not in the file */
	assert_non_null(strstr(text, "\nfleet 1\n"));
	p.max_in_flight = 3;
	p.power_on_rate = 0.5;
	assert_int_equal(camps_fleet_open(&ctl, "fleet-7", &p, NULL, &held), 0);
	json_t *j = camps_one_json(&ctl, "fleet-7");

	assert_int_equal(json_integer_value(json_object_get(j, "max_in_flight")), 3);
	json_decref(j);

	/* restart: held until its claims were re-read */
	camps_stop(&ctl);
	start();
	assert_int_equal(camps_fleet_ids(&ctl, ids, 4, &nheld), 1);
	assert_int_equal(nheld, 1);
	assert_int_equal(camps_fleet_open(&ctl, "fleet-7", &p, NULL, &held), 0);
	assert_true(held);
	const char *three[] = { "node03" };

	assert_int_equal(camps_fleet_add(&ctl, "fleet-7", three, 1), 1);
	usleep(400000);
	assert_string_equal(stage_of("fleet-7", "node03"), "queued");
	assert_int_equal(camps_fleet_hold(&ctl, "fleet-7", false), 0);
	assert_true(wait_stage("fleet-7", "node03", "waiting-dhcp"));
	pthread_rwlock_rdlock(&ctl.cfg_lock);
	camps_on_report(&ctl, "node01", true, NULL);
	pthread_rwlock_unlock(&ctl.cfg_lock);
	assert_string_equal(stage_of("fleet-7", "node01"), "done");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_before_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet_share, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
