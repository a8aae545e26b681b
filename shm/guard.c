/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Trust checks for the shared region (see shm/guard.h for the contract).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ring.h>

#include "shm/counters.h"
#include "shm/guard.h"
#include "shm/leases.h"
#include "shm/shm.h"
#include "shm/snap.h"

/* ------------------------------------------------------------------ */
/* Owner and mode */

/* uid/gid of SHM_SERVICE_USER; false when the user does not exist. */
static bool
service_ids(uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwnam_r(SHM_SERVICE_USER, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return true;
}

mode_t
shm_guard_create_mode(void)
{
	uid_t su;
	gid_t sg;
	/* A shared primary group (e.g. "users") must not get write access:
	 * group bits only for the service group, which holds nobody else. */
	if (service_ids(&su, &sg) && getegid() == sg)
		return 0660;
	return 0600;
}

int
shm_guard_owner(int fd, const char *name, bool creator)
{
	struct stat st;
	uid_t su = (uid_t)-1;
	gid_t sg = (gid_t)-1;
	bool have_service = service_ids(&su, &sg);

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "shm: %s is not a regular file; refusing it\n", name);
		return -EPERM;
	}
	uid_t me = geteuid();
	bool owner_ok = st.st_uid == me ||
			(!creator && (st.st_uid == 0 || (have_service && st.st_uid == su)));
	if (!owner_ok) {
		fprintf(stderr,
			"shm: /dev/shm%s is owned by uid %u, not by us (uid %u)%s; refusing it "
			"(another user may have created it to take the region over).  If it "
			"is stale, remove it: rm /dev/shm%s\n",
			name, (unsigned)st.st_uid, (unsigned)me,
			creator ? "" : " nor root nor " SHM_SERVICE_USER, name);
		return -EPERM;
	}
	bool group_ok = st.st_gid == 0 || (have_service && st.st_gid == sg);
	if ((st.st_mode & S_IRWXO) || ((st.st_mode & S_IWGRP) && !group_ok)) {
		fprintf(stderr,
			"shm: /dev/shm%s has mode %04o (group %u): others may read or write "
			"it; refusing it\n",
			name, (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
		return -EPERM;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Ring headers */

int
shm_guard_ring(const void *ring, uint32_t ring_size)
{
	const struct rte_ring *r = ring;
	if (ring_size < 2 || (ring_size & (ring_size - 1)))
		return -EINVAL;
	/* What format_region's rte_ring_init wrote: SP/SC, power-of-2 size,
	 * capacity size - 1 (no RING_F_EXACT_SZ), no memzone. */
	if (r->flags != (RING_F_SP_ENQ | RING_F_SC_DEQ) || r->memzone != NULL ||
	    r->size != ring_size || r->mask != ring_size - 1 || r->capacity != r->mask ||
	    r->prod.sync_type != RTE_RING_SYNC_ST || r->cons.sync_type != RTE_RING_SYNC_ST)
		return -EINVAL;
	/* Positions are free-running uint32 counters; modulo 2^32 the ring
	 * holds prod.tail - cons.head entries, and no head runs ahead of its
	 * own tail or of the other side by more than the capacity. */
	uint32_t ph = r->prod.head, pt = r->prod.tail, ch = r->cons.head, ct = r->cons.tail;
	if (pt - ch > r->capacity || ph - ct > r->capacity || ph - pt > r->capacity ||
	    ch - ct > r->capacity)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Layout fingerprint */

/* Every shared structure's size and every field's offset, plus the
 * constants that size arrays in the region and the enums whose values are
 * stored there.  Adding a field anywhere, moving one, or a DPDK whose
 * rte_ring differs, changes the hash. */
#define FP_S(t)	   (uint64_t)sizeof(struct t)
#define FP_O(t, f) (uint64_t)offsetof(struct t, f)
static const uint64_t layout_table[] = {
	SHM_MAGIC, SHM_ABI, SHM_MAX_WORKERS, SHM_SLOTS, SHM_CACHELINE, BS_CTR_MAX, SHM_DISC_RING,
	LEASE_EV_MAX, BOOT_STAGE_MAX, LEASE_STATE_MAX, SNAP_ARCH_MAX, SNAP_UNKNOWN_MAX,
	SNAP_BOOT_MAX, SNAP_LOCAL_MAX,
	FP_S(shm_hdr), FP_O(shm_hdr, magic), FP_O(shm_hdr, abi), FP_O(shm_hdr, hdr_size),
	FP_O(shm_hdr, layout_fp), FP_O(shm_hdr, region_size), FP_O(shm_hdr, created_ms),
	FP_O(shm_hdr, instance), FP_O(shm_hdr, max_workers), FP_O(shm_hdr, ring_size),
	FP_O(shm_hdr, counters_off), FP_O(shm_hdr, lease_ring_off),
	FP_O(shm_hdr, boot_ring_off), FP_O(shm_hdr, disc_ring_off), FP_O(shm_hdr, leases_off), FP_O(shm_hdr, leases_size),
	FP_O(shm_hdr, slot_off), FP_O(shm_hdr, slot_size), FP_O(shm_hdr, control_pid),
	FP_O(shm_hdr, control_start), FP_O(shm_hdr, control_heartbeat_ms), FP_O(shm_hdr, pub),
	FP_O(shm_hdr, slot_gen), FP_O(shm_hdr, durable_seq), FP_O(shm_hdr, journal_ok),
	FP_O(shm_hdr, dp_pid), FP_O(shm_hdr, dp_start), FP_O(shm_hdr, dp_workers),
	FP_O(shm_hdr, dp_heartbeat_ms), FP_O(shm_hdr, dp_started_ms), FP_O(shm_hdr, readers),
	FP_O(shm_hdr, jwake), FP_O(shm_hdr, jwaiting),
	SHM_AREAS, SHM_AREA_MAGIC, FP_O(shm_hdr, snap_cap), FP_O(shm_hdr, snap_grows),
	FP_O(shm_hdr, snap_fail), FP_S(shm_area_hdr), FP_O(shm_area_hdr, magic),
	FP_O(shm_area_hdr, abi), FP_O(shm_area_hdr, area), FP_O(shm_area_hdr, layout_fp),
	FP_O(shm_area_hdr, region_created_ms), FP_O(shm_area_hdr, size),
	FP_O(shm_area_hdr, slot_size), FP_O(shm_area_hdr, slot_off), FP_O(shm_area_hdr, slot_gen),
	FP_S(shm_reader), FP_O(shm_reader, gen), FP_O(shm_reader, heartbeat_ms),
	FP_S(shm_counters),
	FP_S(lease_event), FP_O(lease_event, seq), FP_O(lease_event, expires_ms),
	FP_O(lease_event, ts_ms), FP_O(lease_event, ip), FP_O(lease_event, mac),
	FP_O(lease_event, kind), FP_O(lease_event, client_id_len),
	FP_O(lease_event, client_id), FP_O(lease_event, hostname),
	FP_S(boot_event), FP_O(boot_event, ts_ms), FP_O(boot_event, bytes),
	FP_O(boot_event, total), FP_O(boot_event, ip), FP_O(boot_event, mac),
	FP_O(boot_event, stage), FP_O(boot_event, arch), FP_O(boot_event, file),
	FP_S(disc_event), FP_O(disc_event, ts_ms), FP_O(disc_event, giaddr),
	FP_O(disc_event, arch), FP_O(disc_event, port), FP_O(disc_event, mac),
	FP_O(disc_event, msg_type), FP_O(disc_event, rx_worker), FP_O(disc_event, uuid_type),
	FP_O(disc_event, vc_len), FP_O(disc_event, uc_len), FP_O(disc_event, circuit_len),
	FP_O(disc_event, remote_len), FP_O(disc_event, uuid), FP_O(disc_event, vendor_class),
	FP_O(disc_event, user_class), FP_O(disc_event, circuit_id), FP_O(disc_event, remote_id),
	FP_S(lease), FP_O(lease, seq), FP_O(lease, state), FP_O(lease, client_id_len),
	FP_O(lease, mac), FP_O(lease, ip), FP_O(lease, flags), FP_O(lease, expires_ms),
	FP_O(lease, journal_seq), FP_O(lease, updated_ms), FP_O(lease, client_id),
	FP_O(lease, hostname),
	FP_S(lease_table), FP_O(lease_table, magic), FP_O(lease_table, cap),
	FP_O(lease_table, slots_off), FP_O(lease_table, ip_index_off),
	FP_O(lease_table, mac_index_off), FP_O(lease_table, used), FP_O(lease_table, bound),
	FP_O(lease_table, last_seq),
	/* Snapshots carry their own magic/abi/crc (snap_verify); their sizes
	 * still belong to the layout. */
	FP_S(snap_hdr), FP_S(snap_tab), FP_S(snap_subnet), FP_S(snap_pool),
	FP_S(snap_profile), FP_S(snap_node), FP_O(snap_hdr, gen), FP_O(snap_hdr, size),
	FP_O(snap_hdr, crc), FP_O(snap_hdr, strings),
	FP_O(snap_hdr, base_gen), FP_O(snap_node, boot), FP_O(snap_profile, local_boot),
	FP_S(snap_lease), FP_O(snap_hdr, lb_buckets), FP_O(snap_hdr, adopted),
	/* DPDK's ring, placed in the region by rte_ring_init. */
	FP_S(rte_ring), FP_O(rte_ring, flags), FP_O(rte_ring, memzone), FP_O(rte_ring, size),
	FP_O(rte_ring, mask), FP_O(rte_ring, capacity), FP_O(rte_ring, prod),
	FP_O(rte_ring, cons), FP_S(rte_ring_headtail),
};
#undef FP_S
#undef FP_O

uint64_t
shm_layout_fp(void)
{
	/* FNV-1a 64 over the table, value by value (little-endian bytes, so
	 * the result does not depend on how the table is laid out). */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(layout_table) / sizeof(layout_table[0]); i++)
		for (unsigned b = 0; b < 8; b++) {
			h ^= (layout_table[i] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ull;
		}
	return h ? h : 1;
}

/* ------------------------------------------------------------------ */
/* Liveness */

uint64_t
shm_proc_start(int32_t pid)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and ')', so
	 * fields are counted from the last ')'.  The token after it is field
	 * 3 (state); starttime is field 22, 19 tokens later. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (unsigned field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return 0;
	return (uint64_t)v;
}

bool
shm_proc_alive(int32_t pid, uint64_t start)
{
	if (pid <= 0)
		return false;
	/* EPERM: it exists but belongs to another user (control runs as the
	 * service user, the dataplane as root). */
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	if (start == 0)
		return true;
	uint64_t now = shm_proc_start(pid);
	/* Unreadable /proc entry (hidepid): keep the conservative answer. */
	return now == 0 || now == start;
}
