/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A QEMU TCG plugin for tests/perf/vfio_tftp.sh (VFIO_INSN=1): counts the
 * guest instructions each vCPU executes, user mode (guest-virtual address of
 * the translation block below 2^47) and kernel mode apart, and appends one
 * line every 100 ms to out=PATH:
 *     <CLOCK_REALTIME s.ns> <vcpu0 user> <vcpu0 kernel> <vcpu1 user> ...
 * The benchmark pins the dataplane's workers alone on vCPUs 1..N (guest
 * isolcpus=), so user-mode instructions on those vCPUs over a storm are the
 * workers' own, polls included.  TCG has no PMU to read; this counts executed
 * guest instructions in the emulator (a callback per translation block:
 * it slows the emulation itself).
 *
 * Debian 12's QEMU 7.2 is built with plugin support but ships neither the
 * example plugins (libinsn.so) nor qemu-plugin.h: the few declarations used
 * are copied here from QEMU 7.2's include/qemu/qemu-plugin.h (API version 1;
 * the emulator checks qemu_plugin_version when it loads us).
 *   cc -O2 -shared -fPIC -o vfio_insn.so tests/perf/vfio_insn_plugin.c -lpthread
 *   qemu-system-x86_64 -plugin ./vfio_insn.so,out=/tmp/insn.log ...
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- from QEMU 7.2 include/qemu/qemu-plugin.h (GPL-2.0-or-later API) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* ---- end of the copied declarations ---- */

#define MAX_VCPUS 16
#define KERNEL_BIT (1ULL << 63)

/* One writer per slot (the vCPU's own thread), read by the dump thread: a torn
 * read cannot happen on x86-64 for aligned 64-bit words. */
static volatile uint64_t s_cnt[MAX_VCPUS][2];
static FILE *s_out;

static void
tb_exec(unsigned int vcpu, void *udata)
{
	uint64_t u = (uint64_t)(uintptr_t)udata;

	if (vcpu < MAX_VCPUS)
		s_cnt[vcpu][(u & KERNEL_BIT) ? 1 : 0] += u & ~KERNEL_BIT;
}

static void
tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	if (qemu_plugin_tb_vaddr(tb) >= (1ULL << 47))
		n |= KERNEL_BIT;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
}

static void
dump(void)
{
	struct timespec ts;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(s_out, "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	for (i = 0; i < MAX_VCPUS; i++)
		fprintf(s_out, " %llu %llu", (unsigned long long)s_cnt[i][0], (unsigned long long)s_cnt[i][1]);
	fputc('\n', s_out);
	fflush(s_out);
}

static void *
dumper(void *arg)
{
	(void)arg;
	for (;;) {
		dump();
		usleep(100 * 1000);
	}
	return NULL;
}

static void
at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	dump();
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = NULL;
	pthread_t t;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "out=", 4) == 0)
			path = argv[i] + 4;
	if (path == NULL || (s_out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "vfio_insn: needs out=PATH (writable)\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	if (pthread_create(&t, NULL, dumper, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}
