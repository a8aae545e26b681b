/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The flat config snapshot that control publishes into a shm slot and the
 * dataplane reads without locks.  Types and constants only.
 *
 * Rules of the format:
 *   - position independent: tables are (offset, count) pairs relative to the
 *     start of struct snap_hdr, strings are offsets into the string blob
 *     (offset 0 is always the empty string "");
 *   - immutable once published; a new config is a new snapshot;
 *   - every integer in host byte order, every IPv4 address in host order;
 *   - crc32 (zlib) over the whole snapshot with the crc field set to 0.
 * Written by control (conf/snap_build.c), read by the dataplane engines
 * (shm/snap_read.h gives the accessors).
 */
#ifndef BS_CONF_SNAP_H
#define BS_CONF_SNAP_H

#include <stdint.h>

#define SNAP_MAGIC 0x50414e53u /* "SNAP" */
#define SNAP_NONE  UINT32_MAX  /* absent index */
#define SNAP_MAX_RELAYS 16     /* dhcp.relays entries */

/* Client architectures we select boot files for.  Option 93 (RFC 4578,
 * IANA "Processor Architecture Types") values map onto these. */
#define SNAP_ARCH_LIST(X)                                   \
	X(BIOS, "bios")		  /* 0 */                   \
	X(EFI_IA32, "efi-ia32")	  /* 6 */                   \
	X(EFI_X64, "efi-x64")	  /* 7, 9 */                \
	X(EFI_ARM32, "efi-arm32") /* 10 */                  \
	X(EFI_ARM64, "efi-arm64") /* 11 */                  \
	X(HTTP_X64, "http-x64")	  /* 15, 16: UEFI HTTP boot */ \
	X(HTTP_ARM64, "http-arm64") /* 19 */                \
	X(IPXE, "ipxe")		  /* option 77 "iPXE" / 175 */

enum snap_arch {
#define X(n, s) SNAP_ARCH_##n,
	SNAP_ARCH_LIST(X)
#undef X
	SNAP_ARCH_MAX
};

/* What a node's next netboot gets, decided by control from the node's boot
 * state (control/daemon/nodestate.h) and republished on every change, so
 * the DHCP answer follows the state where a boot file cannot (a firmware
 * that boots the DHCP file name itself: UEFI HTTP boot). */
enum snap_boot_state {
	SNAP_BOOT_NET = 0,	/* install / no record: boot info as configured */
	SNAP_BOOT_LOCAL,	/* local: no boot URL to UEFI HTTP boot; no boot
				   info at all when the profile's local_boot is
				   SNAP_LOCAL_NO_FILE */
	SNAP_BOOT_HOLD,		/* hold: no boot info on any route */
	SNAP_BOOT_MAX
};

/* boot.local_boot / profiles[].local_boot: what a node in local state
 * gets from DHCP when its firmware asks for a TFTP boot file. */
enum snap_local_boot {
	SNAP_LOCAL_BOOT_FILE = 0, /* the loader as usual: its per-node config
				     (pxelinux, GRUB, iPXE script) boots the disk */
	SNAP_LOCAL_NO_FILE,	  /* an address only: no file, no next-server, no
				     PXE/HTTP class echo; the firmware goes on to
				     its next boot entry at once */
	SNAP_LOCAL_MAX
};

enum snap_unknown_policy {
	SNAP_UNKNOWN_DENY = 0,	/* only inventory nodes get answers */
	SNAP_UNKNOWN_ALLOW,	/* anyone gets a pool address */
	SNAP_UNKNOWN_PXE_ONLY,	/* only clients sending option 60 PXEClient */
	SNAP_UNKNOWN_MAX
};

struct snap_tab {
	uint32_t off;	/* from the start of struct snap_hdr */
	uint32_t count;
};

struct snap_subnet {
	uint32_t net, mask;	/* host order; net == net & mask */
	uint32_t router;	/* 0 = none */
	uint32_t dns[4];
	uint32_t n_dns;
	uint32_t ntp;		/* 0 = none */
	uint32_t domain;	/* str */
	uint32_t lease_s, renew_s, rebind_s; /* T1/T2 (RFC 2131 4.4.5) */
	uint32_t first_pool, n_pools;	     /* into the pools table */
	uint32_t max_dynamic;	/* cap on dynamic leases here, 0 = pool size */
	uint32_t next_server;	/* siaddr for clients in this subnet */
	uint32_t mtu;		/* option 26, 0 = not sent */
	uint32_t authoritative;	/* 1 = NAK a REQUEST we have no record of (not silence) */
};

struct snap_pool {
	uint32_t lo, hi;	/* inclusive, host order */
	uint32_t subnet;	/* index */
};

struct snap_profile {
	uint32_t name;			/* str */
	uint32_t boot_file[SNAP_ARCH_MAX]; /* str per arch; 0 = not served */
	uint32_t ipxe_url;		/* str: answered to iPXE (SNAP_ARCH_IPXE) */
	uint32_t kernel, initrd, append; /* str, for control/templates */
	uint32_t next_server;		/* 0 = subnet's / server's */
	uint32_t local_boot;		/* enum snap_local_boot (profile's, else boot:'s) */
};

struct snap_node {
	uint8_t mac[6];
	uint8_t has_ip;		/* reservation present */
	uint8_t boot;		/* enum snap_boot_state: the node's boot state */
	uint32_t ip;		/* reserved address, host order */
	uint32_t name;		/* str */
	uint32_t profile;	/* index, SNAP_NONE = default profile; a reimage's
				   --profile replaces the YAML's */
	uint32_t subnet;	/* index of the subnet holding ip, SNAP_NONE */
	uint32_t boot_file;	/* str override for every arch; 0 = profile's */
	uint32_t ipxe_url;	/* str override; 0 = profile's */
	uint32_t client_id;	/* str: hex of option 61 to match instead of MAC; 0 = MAC */
};

/* A bound lease of a dead fleet peer whose clients this server took over
 * (control/fleet/fleet_live.c loads it from the database's leases table):
 * the client keeps its address here instead of being NAKed or renumbered. */
struct snap_lease {
	uint8_t mac[6];
	uint8_t pad[2];
	uint32_t ip;		/* host order */
	uint64_t expires_ms;	/* wall clock ms */
};

#define SNAP_LB_BUCKETS 256	/* RFC 3074 hash buckets */

struct snap_hdr {
	uint32_t magic;		/* SNAP_MAGIC */
	uint32_t abi;		/* SHM_ABI */
	uint64_t gen;		/* generation, > 0, strictly increasing */
	uint64_t base_gen;	/* generation of the config build these tables came
				   from: a republish that changed node boot fields
				   only keeps it, so readers may keep state derived
				   from the tables (the DHCP client-id index) */
	uint32_t size;		/* bytes of the whole snapshot */
	uint32_t crc;		/* crc32 of the snapshot with crc = 0 */

	/* Server identity. */
	uint32_t server_ip;	/* host order */
	uint32_t server_prefix;
	uint8_t server_mac[6];	/* all zero = the port's own */
	uint16_t vlan;		/* 0 = untagged */
	uint32_t server_name;	/* str */

	/* DHCP. */
	uint32_t unknown_policy; /* enum snap_unknown_policy */
	uint32_t proxy_dhcp;	 /* 1 = answer PXE boot info only, no addresses */
	uint32_t default_profile; /* index, SNAP_NONE = none (unknown clients get no boot file) */
	uint32_t offer_hold_s;	 /* how long an OFFERed address stays reserved */
	uint32_t decline_hold_s; /* quarantine after DHCPDECLINE */
	uint32_t max_dynamic;	 /* global cap on dynamic leases */
	uint32_t n_relays;	 /* 0 = relayed messages from any sender */
	uint32_t relays[SNAP_MAX_RELAYS]; /* trusted relay agents (giaddr and IP source) */

	/* Fleet load balancing (RFC 3074; control/fleet/fleet_live.c): servers
	 * sharing a segment split its clients by hash bucket and its dynamic
	 * pools by slice.  lb_slices <= 1: every client, every address. */
	uint32_t lb_slices;	/* servers splitting the pools (fleet.peers) */
	uint32_t lb_slice;	/* this server's slice, 0..lb_slices-1 */
	uint32_t lb_secs;	/* RFC 3074 section 6: a DISCOVER in a bucket we
				   do not serve is answered (from our slice) when
				   its secs >= lb_secs; 0 = never */
	uint8_t lb_buckets[SNAP_LB_BUCKETS / 8]; /* bucket b served iff bit b % 8
				   of byte b / 8 (RFC 3074 section 4 order) */

	/* TFTP. */
	uint32_t tftp_root;	 /* str: absolute directory */
	uint32_t tftp_gen_root;	 /* str: control's generated files, searched first */
	uint32_t tftp_max_blksize;
	uint32_t tftp_max_windowsize;
	uint32_t tftp_timeout_ms; /* first retransmit timeout */
	uint32_t tftp_retries;
	uint32_t tftp_port_lo, tftp_port_hi; /* server TIDs */
	uint32_t tftp_max_transfers;	/* per worker */
	uint32_t tftp_max_per_client;	/* concurrent transfers per client IP */
	uint32_t tftp_mtu;		/* port MTU caps blksize */

	/* HTTP, for URLs handed to clients. */
	uint32_t http_base_url;	/* str, e.g. "http://10.0.0.1:80" */

	/* Tables. */
	struct snap_tab subnets;	/* struct snap_subnet */
	struct snap_tab pools;		/* struct snap_pool */
	struct snap_tab profiles;	/* struct snap_profile */
	struct snap_tab nodes;		/* struct snap_node, sorted by name */
	struct snap_tab mac_index;	/* uint32_t[] open addressing, power of 2,
					   SNAP_NONE = empty; see snap_mac_hash() */
	struct snap_tab ip_index;	/* uint32_t[] same, keyed by reserved IP */
	struct snap_tab strings;	/* char[]; strings.count = bytes */
	struct snap_tab adopted;	/* struct snap_lease, sorted by MAC (memcmp) */
};

#endif
