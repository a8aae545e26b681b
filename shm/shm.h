/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Layout of the shared-memory region /dev/shm/bootstorm-<instance>.
 * Types and constants only (no functions): both processes include it.
 *
 * Who writes what:
 *   [C]  control (bootstorm serve) creates the region and writes these fields
 *   [D]  the dataplane (bootstorm-dp) writes these fields
 *   [Dw] only worker w of the dataplane writes its own element
 * Everything else is read-only after creation.
 *
 * The region is position independent: it holds offsets from the region base,
 * never pointers, so each process may map it at a different address.
 *
 * Trust (shm/guard.h): control creates the region O_EXCL, mode 0600 (0660
 * when it runs as the service user "bootstorm", whose group the dataplane
 * joins), and re-attaches only to a region it owns; the dataplane attaches
 * only to one owned by itself, root or "bootstorm".  Neither accepts a
 * region others may write, and every ring header is validated on attach.
 *
 *   +-------------------+ 0
 *   | struct shm_hdr    |
 *   +-------------------+ hdr.counters_off
 *   | shm_counters[W]   |  per-worker counters, cache-line aligned   [Dw]
 *   +-------------------+ hdr.lease_ring_off[w], boot_ring_off[w], disc_ring_off[w]
 *   | rte_ring x 3W     |  SP/SC rings, dataplane -> control           [Dw]/[C]
 *   +-------------------+ hdr.leases_off
 *   | lease table       |  struct lease_table (shm/leases.h)          [D]
 *   +-------------------+ hdr.slot_off[i]
 *   | config slot x 3   |  flat snapshots (shm/snap.h)                [C]
 *   +-------------------+ hdr.region_size
 *
 * Snapshot areas.  The region's own slots are area 0, sized at creation.
 * A snapshot that outgrows the slots of the area in use is published into
 * a new area N (N = current + 1 < SHM_AREAS): a separate shared-memory file
 * SHM_AREA_NAME_FMT (struct shm_area_hdr, then SHM_SLOTS bigger slots),
 * created by control before the publication that names it.  hdr.pub names
 * the area with the slot, so a worker learns of the new area on the
 * generation change it checks anyway, maps it then (shm_area_get, under a
 * per-process mutex, never per packet), and drops its reference to the old
 * one at its next quiescent point; the last worker to leave an area unmaps
 * it.  Control unlinks an area's name as soon as a newer one is published:
 * readers only ever open the area the current pub names (one that loses
 * that race retries with the newer pub, shm/reader.c).
 */
#ifndef BS_CONF_SHM_H
#define BS_CONF_SHM_H

#include <stdalign.h>
#include <stdint.h>
#include <sys/types.h>

#define SHM_MAGIC	     0x4d52545342534f42ull /* "BOOTSTRM" little-endian */
/* Bump on any layout change of this file, leases.h or snap.h.  A change
 * that forgot the bump is still refused: hdr.layout_fp holds a hash of the
 * size and offset of every shared field (shm_layout_fp, shm/guard.c). */
#define SHM_ABI		     8u
#define SHM_MAX_WORKERS	     16u
#define SHM_SLOTS	     3u
#define SHM_CACHELINE	     64u
#define SHM_DISC_RING	     1024u /* elements per discovery ring (power of 2) */
#define SHM_NAME_FMT	     "/bootstorm-%s" /* shm_open name from the instance */
#define SHM_DEFAULT_INSTANCE "default"
#define SHM_AREAS	     64u /* snapshot areas: 0 = the region's slots */
#define SHM_AREA_NAME_FMT    "/bootstorm-%s.snap%u" /* instance, area >= 1 */
#define SHM_AREA_MAGIC	     0x41455241534d5342ull /* "BSMSAREA" little-endian */

/* hdr.pub packs the published generation and where it lies (area and
 * slot), so a reader gets all of them with one acquire load. */
#define SHM_LOC(area, slot) (((unsigned)(area) << 2) | (unsigned)(slot))
#define SHM_PUB(gen, loc)   (((uint64_t)(gen) << 8) | (uint64_t)(loc))
#define SHM_PUB_GEN(pub)    ((pub) >> 8)
#define SHM_PUB_SLOT(pub)   ((unsigned)((pub) & 0x3))
#define SHM_PUB_AREA(pub)   ((unsigned)(((pub) >> 2) & 0x3f))
_Static_assert(SHM_SLOTS <= 4 && SHM_AREAS <= 64, "pub packs area and slot in 8 bits");

/* One reader of config snapshots (one dataplane worker).  Quiescent-state
 * protocol, see shm/publish.h for the code:
 *   - a worker, once per poll iteration, loads hdr.pub (acquire) and then
 *     stores the generation it will use into gen (release);
 *   - the value in gen never exceeds the generation the worker is using, and
 *     it only grows, so control may overwrite slot s only when every online
 *     reader has gen > slot_gen[s];
 *   - gen == 0 means offline (never started, or exited cleanly).
 * A reader whose dataplane pid is dead is treated as offline by control. */
struct shm_reader {
	alignas(SHM_CACHELINE) _Atomic uint64_t gen; /* [Dw] */
	_Atomic uint64_t heartbeat_ms;		     /* [Dw] CLOCK_MONOTONIC ms */
};

/* Per-worker counters.  Index = enum bs_ctr (shm/counters.h).  Written only
 * by their owning worker with relaxed load+store (single writer, so no RMW is
 * needed); read by control with relaxed loads and summed. */
struct shm_counters {
	alignas(SHM_CACHELINE) _Atomic uint64_t c[512];
};

/* A lease change, appended by the DHCP-owning worker to its lease ring and
 * journalled by control.  seq is strictly increasing per region. */
enum lease_kind {
	LEASE_EV_GRANT = 0, /* new binding or changed address */
	LEASE_EV_RENEW,	    /* same binding, new expiry */
	LEASE_EV_RELEASE,   /* client released */
	LEASE_EV_DECLINE,   /* address quarantined until expires_ms */
	LEASE_EV_EXPIRE,    /* server expired it */
	LEASE_EV_MAX
};

struct lease_event {
	uint64_t seq;	     /* journal sequence number */
	uint64_t expires_ms; /* wall clock (CLOCK_REALTIME) ms since epoch */
	uint64_t ts_ms;	     /* wall clock ms when the event happened */
	uint32_t ip;	     /* host byte order */
	uint8_t mac[6];
	uint8_t kind;		/* enum lease_kind */
	uint8_t client_id_len;	/* 0 = none */
	uint8_t client_id[32];	/* option 61, truncated to 32 bytes */
	char hostname[32];	/* option 12, NUL terminated, sanitised */
};

/* Boot progress of one node, best effort (a full ring drops and counts). */
enum boot_stage {
	BOOT_STAGE_NONE = 0,
	BOOT_STAGE_DHCP_DISCOVER, /* DISCOVER seen, OFFER sent */
	BOOT_STAGE_DHCP_BOUND,	  /* ACK sent */
	BOOT_STAGE_TFTP_START,	  /* RRQ accepted */
	BOOT_STAGE_TFTP_PROGRESS, /* periodic, every few hundred KiB */
	BOOT_STAGE_TFTP_DONE,	  /* last ACK received */
	BOOT_STAGE_TFTP_FAILED,	  /* timed out or error */
	BOOT_STAGE_HTTP,	  /* control: fetched a file over HTTP */
	BOOT_STAGE_INSTALLING,	  /* control: kickstart fetched */
	BOOT_STAGE_DONE,	  /* control: node reported done */
	BOOT_STAGE_FAILED,	  /* control: node reported failed */
	BOOT_STAGE_MAX
};

struct boot_event {
	uint64_t ts_ms;	 /* wall clock ms */
	uint64_t bytes;	 /* bytes acknowledged so far */
	uint64_t total;	 /* file size (0 = unknown) */
	uint32_t ip;	 /* client IPv4, host order */
	uint8_t mac[6];	 /* all zero when unknown (TFTP only knows the IP) */
	uint8_t stage;	 /* enum boot_stage */
	uint8_t arch;	 /* option 93 value, 0xff = unknown */
	char file[48];	 /* file name, truncated, NUL terminated */
};

/* A DHCP message from a client that is not in the inventory, for control's
 * table of discovered machines (control/daemon/discover.h).  Sent whatever
 * dhcp.unknown_clients says, and never changes the answer.  Written only by
 * the DHCP-owning worker into its own disc ring [Dw] (a full ring drops
 * and counts DISC_RING_FULL: a storm of spoofed MACs costs control at most
 * SHM_DISC_RING events per drain); read by control's journal thread [C].
 * Variable fields are raw client bytes, truncated, with their kept length:
 * control escapes them before it shows them. */
#define DISC_VC_MAX	48u	/* option 60 bytes kept */
#define DISC_SUB_MAX	32u	/* option 77, 82.1, 82.2 bytes kept */
#define DISC_ARCH_NONE	0xffffu
#define DISC_UUID_NONE	0xffu
struct disc_event {
	uint64_t ts_ms;		/* wall clock ms */
	uint32_t giaddr;	/* relay agent address, host order, 0 = direct */
	uint16_t arch;		/* first option 93 value, DISC_ARCH_NONE = absent */
	uint16_t port;		/* dataplane port that received it */
	uint8_t mac[6];		/* chaddr */
	uint8_t msg_type;	/* option 53 */
	uint8_t rx_worker;	/* worker whose queue received it */
	uint8_t uuid_type;	/* option 97 type byte, DISC_UUID_NONE = absent */
	uint8_t vc_len, uc_len, circuit_len, remote_len; /* bytes kept below */
	uint8_t pad[3];
	uint8_t uuid[16];	/* option 97 (RFC 4578 2.2) */
	uint8_t vendor_class[DISC_VC_MAX]; /* option 60 */
	uint8_t user_class[DISC_SUB_MAX];  /* option 77 */
	uint8_t circuit_id[DISC_SUB_MAX];  /* option 82 sub-option 1 (RFC 3046 3.1) */
	uint8_t remote_id[DISC_SUB_MAX];   /* option 82 sub-option 2 (RFC 3046 3.2) */
};

/* Ring element sizes must be multiples of 4 for rte_ring_*_elem. */
_Static_assert(sizeof(struct lease_event) % 8 == 0, "lease_event size");
_Static_assert(sizeof(struct boot_event) % 8 == 0, "boot_event size");
_Static_assert(sizeof(struct disc_event) == 192, "disc_event size");

struct shm_hdr {
	uint64_t magic;	      /* SHM_MAGIC */
	uint32_t abi;	      /* SHM_ABI */
	uint32_t hdr_size;    /* sizeof(struct shm_hdr) */
	uint64_t layout_fp;   /* shm_layout_fp() of the creating build */
	uint64_t region_size; /* bytes mapped */
	uint64_t created_ms;  /* wall clock */
	char instance[32];

	/* Layout (fixed at creation). */
	uint32_t max_workers;	/* readers/counters/rings present */
	uint32_t ring_size;	/* elements per ring (power of 2) */
	uint64_t counters_off;	/* struct shm_counters[max_workers] */
	uint64_t lease_ring_off[SHM_MAX_WORKERS]; /* rte_ring of lease_event */
	uint64_t boot_ring_off[SHM_MAX_WORKERS];  /* rte_ring of boot_event */
	uint64_t disc_ring_off[SHM_MAX_WORKERS];  /* rte_ring of disc_event, SHM_DISC_RING */
	uint64_t leases_off;	/* struct lease_table */
	uint64_t leases_size;
	uint64_t slot_off[SHM_SLOTS];
	uint64_t slot_size;	/* bytes available per slot */

	/* Control liveness and config publication. */
	alignas(SHM_CACHELINE) _Atomic int32_t control_pid; /* [C] 0 = not running */
	_Atomic uint64_t control_start; /* [C] its start time (shm_proc_start), before the pid */
	_Atomic uint64_t control_heartbeat_ms;	/* [C] monotonic ms */
	_Atomic uint64_t pub;			/* [C] SHM_PUB(gen, slot), release */
	_Atomic uint64_t slot_gen[SHM_SLOTS];	/* [C] generation held by slot, 0 = empty */
	_Atomic uint64_t durable_seq; /* [C] lease events <= this are on disk (release) */
	_Atomic uint32_t journal_ok;  /* [C] 0 while the journal cannot write (disk full) */
	/* Snapshot areas (display and metrics; pub is what readers follow). */
	_Atomic uint64_t snap_cap;	/* [C] bytes per slot of the area in use */
	_Atomic uint64_t snap_grows;	/* [C] publications that opened a bigger area */
	_Atomic uint64_t snap_fail;	/* [C] publications that found no room (ENOSPC...) */

	/* Dataplane liveness. */
	alignas(SHM_CACHELINE) _Atomic int32_t dp_pid; /* [D] 0 = not running */
	_Atomic uint64_t dp_start;		/* [D] its start time, before the pid */
	_Atomic uint32_t dp_workers;		/* [D] workers started */
	_Atomic uint64_t dp_heartbeat_ms;	/* [D] monotonic ms */
	_Atomic uint64_t dp_started_ms;		/* [D] wall clock */

	struct shm_reader readers[SHM_MAX_WORKERS];

	/* The journal thread's doorbell (shm/jwake.h): a futex word the DHCP
	 * worker bumps after each lease event it enqueues, and the flag that
	 * says the journal thread sleeps on it (only then is a wake-up sent). */
	alignas(SHM_CACHELINE) _Atomic uint32_t jwake; /* [D][C] bumped, seq_cst */
	_Atomic uint32_t jwaiting;		       /* [C] 1 while it sleeps, seq_cst */
};

/* A snapshot area file (area >= 1, see "Snapshot areas" above).  Control
 * creates it O_EXCL with the region's mode, formats it, and stores the magic
 * last (RELEASE); readers map it read-only and check every field against
 * their region before trusting an offset. */
struct shm_area_hdr {
	uint64_t magic;		/* SHM_AREA_MAGIC, RELEASE after the rest */
	uint32_t abi;		/* SHM_ABI */
	uint32_t area;		/* N of its name */
	uint64_t layout_fp;	/* shm_layout_fp() */
	uint64_t region_created_ms; /* its region's created_ms: no stale file */
	uint64_t size;		/* bytes of the file */
	uint64_t slot_size;	/* bytes per slot */
	uint64_t slot_off[SHM_SLOTS]; /* from the area's base, cache-line aligned */
	_Atomic uint64_t slot_gen[SHM_SLOTS]; /* [C] as hdr.slot_gen */
};

#endif
