/* SPDX-License-Identifier: BSD-3-Clause
 *
 * AF_XDP split mode.  The client-facing port is net_af_xdp on an interface
 * that keeps its kernel driver and address: the PMD loads
 * dataplane/xdp/bs_steer.bpf.o (devargs xdp_prog=, added by main.c), which
 * sends DHCP/ProxyDHCP/TFTP/RS to our XSK and passes everything else (ARP,
 * ICMP, TCP/HTTP) to the kernel.  Here: what that mode implies, checked at
 * start, and the program's config map kept in step with the TFTP range.
 *
 *   - no punt tap: the kernel already owns the address;
 *   - server.mac, when set, is the interface's own (the kernel answers ARP
 *     with it, RFC 826);
 *   - the kernel's ephemeral UDP ports (net.ipv4.ip_local_port_range) must
 *     not overlap the TFTP server-port range, or replies to the kernel's own
 *     sockets would be steered to us;
 *   - the program is detached on exit (the PMD does it on close; a killed
 *     run leaves it attached: dp_afxdp_clear_stale() removes ours at start).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <rte_log.h>

#include "dataplane/dp.h"
#include "dataplane/xdp/bs_steer.h"

extern int bs_dp_logtype;
#define XLOG(lvl, ...) rte_log(RTE_LOG_##lvl, bs_dp_logtype, "bootstorm-dp: af_xdp: " __VA_ARGS__)

#define PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"
#define STEER_PROG_NAME "bs_steer"

static int s_cfg_fd = -1;	/* bs_steer_cfg map of the attached program */
static int s_prog_fd = -1;	/* the attached program (for a guarded detach) */
static uint32_t s_ifindex;
static uint32_t s_flags;

bool
dp_afxdp_driver(const char *driver_name)
{
	return strcmp(driver_name, "net_af_xdp") == 0;
}

int
dp_afxdp_port_range(uint32_t *lo, uint32_t *hi)
{
	FILE *f = fopen(PORT_RANGE_PATH, "r");
	if (f == NULL)
		return -errno;
	int n = fscanf(f, "%u %u", lo, hi);
	fclose(f);
	return n == 2 ? 0 : -EINVAL;
}

/* The program attached to ifindex if it is ours (by name): its fd, or -1. */
static int
steer_prog_fd(uint32_t ifindex)
{
	uint32_t id = 0;
	if (bpf_xdp_query_id((int)ifindex, 0, &id) != 0 || id == 0)
		return -1;
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	struct bpf_prog_info pi;
	uint32_t len = sizeof(pi);
	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(fd, &pi, &len) != 0 || strcmp(pi.name, STEER_PROG_NAME) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The bs_steer_cfg map of program prog_fd: its fd, or -errno. */
static int
steer_cfg_fd(int prog_fd)
{
	uint32_t ids[8];
	struct bpf_prog_info pi;
	uint32_t len = sizeof(pi);
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 8;
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len) != 0)
		return -errno;
	for (uint32_t i = 0; i < pi.nr_map_ids && i < 8; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		struct bpf_map_info mi;
		uint32_t ml = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 &&
		    strcmp(mi.name, BS_STEER_CFG_MAP) == 0)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

void
dp_afxdp_clear_stale(const char *iface)
{
	uint32_t ifindex = if_nametoindex(iface);
	if (ifindex == 0)
		return;
	int fd = steer_prog_fd(ifindex);
	if (fd < 0)
		return;
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);
	if (bpf_xdp_detach((int)ifindex, XDP_FLAGS_REPLACE, &o) == 0)
		fprintf(stderr, "bootstorm-dp: %s: removed a stale %s XDP program (an earlier run "
				"did not exit cleanly)\n", iface, STEER_PROG_NAME);
	close(fd);
}

void
dp_afxdp_sync(uint16_t tftp_lo, uint16_t tftp_hi)
{
	if (s_cfg_fd < 0)
		return;
	struct bs_steer_cfg c = { .tftp_lo = tftp_lo, .tftp_hi = tftp_hi, .flags = s_flags };
	uint32_t k = 0;
	if (bpf_map_update_elem(s_cfg_fd, &k, &c, BPF_ANY) != 0)
		XLOG(ERR, "cannot update %s: %s\n", BS_STEER_CFG_MAP, strerror(errno));
	uint32_t lo, hi;
	if (tftp_lo && dp_afxdp_port_range(&lo, &hi) == 0 && lo <= tftp_hi && tftp_lo <= hi)
		XLOG(ERR, "TFTP ports %u-%u overlap the kernel's ephemeral ports %u-%u: set "
			  "net.ipv4.ip_local_port_range outside it\n", tftp_lo, tftp_hi, lo, hi);
}

static int
check_start(const struct dp *dp)
{
	if (dp->o.punt[0] || dp->punt_port != UINT16_MAX) {
		XLOG(ERR, "split mode has no punt tap: the kernel owns the interface and its "
			  "address (ARP, ICMP, HTTP); remove dataplane.punt / --punt\n");
		return -EINVAL;
	}
	if (dp->o.has_server_mac && memcmp(dp->o.server_mac, dp->port_mac.addr_bytes, 6) != 0) {
		const uint8_t *a = dp->port_mac.addr_bytes;
		XLOG(ERR, "server.mac differs from the interface's %02x:%02x:%02x:%02x:%02x:%02x: "
			  "the kernel answers ARP with its own; set server.mac to it or drop it\n",
		     a[0], a[1], a[2], a[3], a[4], a[5]);
		return -EINVAL;
	}
	uint32_t lo, hi;
	if (dp->o.tftp_lo && dp_afxdp_port_range(&lo, &hi) == 0 && lo <= dp->o.tftp_hi &&
	    dp->o.tftp_lo <= hi) {
		XLOG(ERR, "tftp ports %u-%u overlap the kernel's ephemeral UDP ports %u-%u: "
			  "change net.ipv4.ip_local_port_range (sysctl, in this network namespace) "
			  "or tftp.ports so they do not overlap\n",
		     dp->o.tftp_lo, dp->o.tftp_hi, lo, hi);
		return -EADDRINUSE;
	}
	return 0;
}

int
dp_afxdp_start(struct dp *dp, uint32_t if_index)
{
	int rc = check_start(dp);
	if (rc != 0)
		return rc;
	s_ifindex = if_index;
	s_flags = dp->o.ra ? BS_STEER_RS : 0;
	s_prog_fd = steer_prog_fd(if_index);
	if (s_prog_fd < 0) {
		XLOG(ERR, "no %s XDP program on ifindex %u: give xdp_prog=%s in the devargs "
			  "(bootstorm-dp adds it in config mode)\n",
		     STEER_PROG_NAME, if_index, "bs_steer.bpf.o");
		return -ENOENT;
	}
	s_cfg_fd = steer_cfg_fd(s_prog_fd);
	if (s_cfg_fd < 0) {
		XLOG(ERR, "program %s has no map %s\n", STEER_PROG_NAME, BS_STEER_CFG_MAP);
		return s_cfg_fd;
	}
	dp_afxdp_sync(dp->o.tftp_lo, dp->o.tftp_hi);
	XLOG(INFO, "split mode on ifindex %u: DHCP/TFTP/RS to the dataplane, the rest to the "
		   "kernel\n", if_index);
	return 0;
}

/* After the port is closed: the PMD detaches its program on close; if it is
 * still there (same program), detach it ourselves. */
void
dp_afxdp_close(void)
{
	if (s_prog_fd >= 0 && s_ifindex) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = s_prog_fd);
		if (bpf_xdp_detach((int)s_ifindex, XDP_FLAGS_REPLACE, &o) == 0)
			XLOG(INFO, "detached %s from ifindex %u\n", STEER_PROG_NAME, s_ifindex);
	}
	if (s_cfg_fd >= 0)
		close(s_cfg_fd);
	if (s_prog_fd >= 0)
		close(s_prog_fd);
	s_cfg_fd = s_prog_fd = -1;
}
