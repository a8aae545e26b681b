/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The config model: what `bootstorm` parses from YAML (conf/cfg_load.c),
 * validates (conf/cfg_validate.c), and flattens into a snapshot
 * (conf/snap_build.c).  Used by control only; the dataplane sees the flat
 * snapshot.  Every element remembers where it came from (struct cfg_loc) so
 * errors name file:line:column.
 *
 * Ownership: one struct cfg owns every string and array below; cfg_free()
 * releases it all.  Addresses are IPv4 in host byte order.
 */
#ifndef BS_CONF_CFG_H
#define BS_CONF_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shm/snap.h"

struct cfg_loc {
	const char *file;	/* owned by struct cfg (interned) */
	uint32_t line, col;	/* 1-based, as editors show them */
};

/* Free-form inventory variable (kickstart templates read them). */
struct cfg_var {
	char *key, *value;
};

struct cfg_pool {
	struct cfg_loc loc;
	uint32_t lo, hi;
};

struct cfg_subnet {
	struct cfg_loc loc;
	uint32_t net, mask;
	uint8_t prefix;
	uint32_t router;
	uint32_t dns[4];
	uint32_t n_dns;
	uint32_t ntp;
	char *domain;
	uint32_t lease_s, renew_s, rebind_s;
	uint32_t max_dynamic;
	uint32_t next_server;
	uint32_t mtu;
	bool authoritative;	/* NAK unknown REQUESTs at once */
	struct cfg_pool *pools;
	size_t n_pools;
};

/* profiles[].after_install: the node's state once its installer reports
 * done (control/daemon/nodestate.h). */
enum cfg_after_install {
	CFG_AFTER_LOCAL = 0,	/* netboot-once: the next netboot boots the disk */
	CFG_AFTER_INSTALL_AGAIN, /* every netboot installs (test rigs, stateless) */
	CFG_AFTER_HOLD,		/* no boot info until the admin's reimage/localboot */
	CFG_AFTER_MAX
};

struct cfg_profile {
	struct cfg_loc loc;
	char *name;
	char *boot_file[SNAP_ARCH_MAX]; /* NULL = inherit from boot: */
	char *ipxe_url;
	char *http_boot;	/* UEFI HTTP boot loader: URL, or a path under
				   http.base_url; NULL = files.http-x64 */
	uint8_t local_boot;	/* enum snap_local_boot + 1; 0 = boot.local_boot */
	uint8_t after_install;	/* enum cfg_after_install */
	char *kernel, *initrd, *append;
	char *kickstart;	/* template path (under http.templates) */
	char *repo_url;
	uint32_t next_server;
	struct cfg_var *vars;
	size_t n_vars;
};

struct cfg_node {
	struct cfg_loc loc;
	char *name;
	uint8_t mac[6];
	bool has_ip;
	uint32_t ip;
	char *profile;		/* name; NULL = boot.default_profile */
	char *boot_file;	/* override */
	char *ipxe_url;		/* override */
	char *client_id;	/* hex string of option 61 */
	char *bmc;		/* BMC URL (conf/cfg_bmc.h), "{name}" expanded;
				   NULL = no power control */
	struct cfg_var *vars;
	size_t n_vars;
};

struct cfg_port {
	struct cfg_loc loc;
	char *devargs;		/* e.g. "net_af_packet0,iface=bsdp0" or a PCI address */
	uint16_t rx_queues;	/* 0 = one per worker */
};

#define CFG_MAX_PEERS 16 /* fleet.peers entries */

struct cfg {
	char *path;		/* the file it was loaded from */

	/* server: */
	char *name;
	char *instance;		/* shm name suffix, default "default" */
	char *state_dir;	/* leases journal, generated files */
	uint32_t server_ip;
	uint8_t server_prefix;
	uint8_t server_mac[6];
	bool has_server_mac;
	uint32_t gateway;

	/* dataplane: */
	char **eal_args;
	size_t n_eal_args;
	struct cfg_port *ports;
	size_t n_ports;
	uint16_t workers;
	uint16_t vlan;
	char *punt_iface;	/* kernel tap name; NULL = no punt */
	uint32_t mtu;
	uint32_t idle_sleep_us;	/* backoff after empty polls, 0 = busy poll */

	/* dhcp: */
	enum snap_unknown_policy unknown_policy;
	bool proxy_dhcp;
	uint32_t offer_hold_s;
	uint32_t decline_hold_s;
	uint32_t max_dynamic;
	uint32_t max_leases;	/* lease table capacity */
	uint32_t relays[SNAP_MAX_RELAYS]; /* trusted relay agents; none = any */
	uint32_t n_relays;
	uint32_t lease_s, renew_s, rebind_s; /* defaults for subnets */
	struct cfg_subnet *subnets;
	size_t n_subnets;

	/* boot: */
	uint32_t next_server;
	char *boot_file[SNAP_ARCH_MAX];
	char *ipxe_url;
	char *default_profile;
	uint8_t local_boot;	/* enum snap_local_boot: profiles' default */

	/* tftp: */
	char *tftp_root;
	uint32_t tftp_max_blksize;
	uint32_t tftp_max_windowsize;
	uint32_t tftp_timeout_ms;
	uint32_t tftp_retries;
	uint32_t tftp_port_lo, tftp_port_hi;
	uint32_t tftp_max_transfers;
	uint32_t tftp_max_per_client;

	/* http: */
	uint32_t http_ip;	/* listen address, 0 = any */
	uint16_t http_port;
	char *http_base_url;	/* URL clients use; default http://server_ip:port */
	char *repo_root;
	char *templates;	/* directory of kickstart / iPXE templates */
	char *kickstart_token;	/* optional shared secret for /ks/ */
	uint32_t http_max_conns;
	char *admin_token_file;	/* root-only file: bearer token of the admin API */
	bool admin_local;	/* connections from this host are admin (default on) */
	bool metrics_public;	/* /metrics without the token (default on) */
	bool kickstart_once;	/* first fetch wins (kickstart.h), default on */
	uint32_t admin_net;	/* http.admin_network: peers in it are admin */
	uint8_t admin_net_prefix; /* 0 with admin_net 0: none */
	bool has_admin_net;

	/* journal: */
	uint32_t journal_commit_ms; /* group commit window */

	/* power: (BMC access and reimage campaign pacing) */
	char *power_cred_file;	/* root-only "host user password" lines */
	uint32_t power_max_in_flight;	/* nodes powering/waiting for DHCP at once */
	uint32_t power_on_rate;		/* power-on commands per second */
	uint32_t power_timeout_ms;	/* one BMC command */
	uint32_t power_retries;		/* extra tries of one BMC command */
	uint32_t power_ipmi_cipher;	/* RMCP+ cipher suite; 0 = ask the BMC */
	char *power_redfish_ca;		/* CA bundle for redfish:// BMCs; NULL = system */
	uint32_t power_dhcp_deadline_ms;	/* campaign: powered, no DHCP: power again */
	uint32_t power_max_repower;		/* campaign: ... at most this many times */
	uint32_t power_install_deadline_ms;	/* campaign: first DHCP to the report */
	char *power_verify;			/* campaign: "tcp:PORT" | "http://{ip}..."; NULL: none */
	uint32_t power_verify_deadline_ms;	/* campaign: done to a probe's answer */

	/* discovery: (machines not in the inventory) */
	uint32_t disc_max;		/* entries of control's discovered table */
	char *disc_enrolled;		/* CSV `bootstorm enroll` writes, read as
					   inventory; NULL = enroll disabled */
	bool power_console_capture;	/* SOL capture of nodes in install/installing */

	struct cfg_profile *profiles;
	size_t n_profiles;
	struct cfg_node *nodes;
	size_t n_nodes;

	/* interned file names for cfg_loc (the YAML file, inventory CSVs) */
	char **files;
	size_t n_files;

	/* Added by the loader (appended fields). */
	char *base_dir;		/* absolute directory of the config file; relative
				   paths in it were resolved against this */
	uint32_t *by_name;	/* node indexes sorted by name (n_nodes) */
	uint32_t *by_mac;	/* node indexes sorted by MAC (n_nodes) */
	uint32_t *by_ip;	/* indexes of nodes with has_ip, sorted by IP */
	size_t n_by_ip;
	char *tftp_gen_root;	/* <state_dir>/tftp-gen, absolute */

	/* fleet: (control/fleet/fleet.h; off by default) */
	bool fleet_enabled;
	char *fleet_database;	/* libpq conninfo, or an absolute path to a
				   root-only file holding it (never a password
				   in the YAML) */
	char *fleet_server_name; /* NULL = server.name */
	uint32_t fleet_ship_ms;	/* outbox shipping interval */
	uint32_t fleet_batch;	/* events per transaction */
	uint32_t fleet_deadline_s; /* heartbeat older than this = server down */
	bool fleet_follow;	/* follow node states (and fleet_inventory) in
				   the database (control/fleet/fleet_follow.c) */
	char *fleet_inventory;	/* CSV control keeps of this server's part of
				   the fleet inventory, read as inventory
				   (missing = empty); NULL = YAML only */
	/* fleet.peers: the servers sharing this server's segments (itself
	 * included), sorted by strcmp; RFC 3074 buckets and pool slices are
	 * split by position in it (control/fleet/fleet_live.c). */
	char *fleet_peers[CFG_MAX_PEERS];
	uint32_t n_fleet_peers;
	uint32_t fleet_live_ms;	/* liveness check interval */
	uint32_t fleet_lb_secs;	/* RFC 3074 section 6 secs override: a DISCOVER
				   in a peer's bucket whose secs is >= this is
				   answered from our own slice; 0 = off */
};

/* One diagnostic.  The loader and validator collect them all. */
struct cfg_err {
	struct cfg_loc loc;
	char msg[256];
};

struct cfg_errs {
	struct cfg_err *v;
	size_t n, cap;
	size_t dropped;		/* beyond the cap kept (CFG_MAX_ERRS) */
	char **files;		/* file names the locs point at, owned here so
				   errors outlive a failed struct cfg */
	size_t n_files;
};

#define CFG_MAX_ERRS 1000
#define CFG_MAX_FILE_BYTES (64u << 20) /* YAML and CSV files are refused above */
#define CFG_MAX_DEPTH	   64u	       /* YAML nesting */
#define CFG_MAX_NODES	   (1u << 20)  /* inventory entries */

/* Loads and validates path.  Returns a config (errs->n == 0) or NULL with
 * every problem found in errs.  Never exits, never crashes on bad input. */
struct cfg *cfg_load(const char *path, struct cfg_errs *errs);
/* Same from memory; name is used in messages. */
struct cfg *cfg_load_mem(const char *name, const char *buf, size_t len,
			 struct cfg_errs *errs);
/* cfg_load with the discovery.enrolled CSV's content replaced by
 * csv[0..csv_len) (messages still name the enrolled file): how
 * `bootstorm enroll` checks a candidate before writing it. */
struct cfg *cfg_load_enroll(const char *path, const char *csv, size_t csv_len,
			    struct cfg_errs *errs);
void cfg_free(struct cfg *c);
/* cfg_load for a command: the config, or NULL after printing every error
 * (cfg_errs_print) to f. */
struct cfg *cfg_load_report(const char *path, FILE *f);

/* "file:line:col: error: msg" lines, one per error, to f. */
void cfg_errs_print(const struct cfg_errs *errs, FILE *f);
void cfg_errs_free(struct cfg_errs *errs);

/* Inventory helpers for control. */
const struct cfg_node *cfg_node_by_name(const struct cfg *c, const char *name);
const struct cfg_node *cfg_node_by_ip(const struct cfg *c, uint32_t ip);
const struct cfg_node *cfg_node_by_mac(const struct cfg *c, const uint8_t mac[6]);
const struct cfg_profile *cfg_profile_by_name(const struct cfg *c, const char *name);
/* Profile of a node (its own or the default), or NULL. */
const struct cfg_profile *cfg_node_profile(const struct cfg *c, const struct cfg_node *n);

/* Appended helpers. */
/* Arch name as in SNAP_ARCH_LIST ("bios", "efi-x64"...), NULL if out of range. */
const char *cfg_arch_name(unsigned arch);
/* Adds an error (printf format) at loc; keeps at most CFG_MAX_ERRS. */
void cfg_err_add(struct cfg_errs *errs, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Boot file a node gets for arch (node override, profile, boot:), NULL if none. */
const char *cfg_node_boot_file(const struct cfg *c, const struct cfg_node *n, unsigned arch);

#endif
