/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Per-node rendering inputs (template variables) and the rule that decides
 * who may fetch a node's kickstart (it carries secrets: root password
 * hashes, tokens of the site).
 */
#ifndef BS_CONTROL_KICKSTART_H
#define BS_CONTROL_KICKSTART_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "shm/leases.h"
#include "control/daemon/tmpl.h"

/* Template variables of node n (NULL: an unknown client, served the
 * default profile) with address ip (0 = the node's reservation):
 *   name ip mac hostname profile kernel initrd append repo_url server_ip
 *   base_url, then the profile's vars, then the node's vars (node wins).
 * append is itself rendered with those variables.  Returns 0, -EINVAL
 * (append has a template error: err names "profile <name> append:1"), or
 * -ENOMEM. */
int ks_node_vars(const struct cfg *c, const struct cfg_node *n, uint32_t ip,
		 struct tmpl_vars *vs, struct tmpl_err *err);

/* The same with the profile given (a reimage --profile overrides the
 * node's YAML profile); p NULL: as ks_node_vars. */
int ks_node_vars_p(const struct cfg *c, const struct cfg_node *n, const struct cfg_profile *p,
		   uint32_t ip, struct tmpl_vars *vs, struct tmpl_err *err);

/* The base URL clients use: http.base_url, else http://<server ip>:<port>. */
void ks_base_url(const struct cfg *c, char *buf, size_t cap);

enum ks_auth {
	KS_DENY = 0,
	KS_ALLOW_RESERVED,	/* the request came from the node's reserved IP */
	KS_ALLOW_LEASED,	/* ... from a BOUND, unexpired lease of the node's MAC */
	KS_ALLOW_TOKEN,		/* ?token= matched http.kickstart_token */
	KS_ALLOW_SECRET,	/* the node's own secret (ks_node_secret) */
	KS_ALLOW_ADMIN,		/* admin token or a local connection */
	KS_AUTH_MAX
};

/* Trust model (issue 15, items 1 and 5).  Only what this server assigned
 * says who a node is: its reserved IP in the config (the published
 * snapshot), or a lease in the shared lease table t that is BOUND, not
 * expired at now_ms (wall clock) and carries the node's MAC.  The boot
 * view (bootview.h) is fed by addresses clients claim (a TFTP RRQ's
 * source, ProxyDHCP's ciaddr): it is display-only and never consulted. */

/* KS_ALLOW_RESERVED / KS_ALLOW_LEASED when peer is an address the server
 * assigned to n, else KS_DENY.  t may be NULL (no region: reserved only). */
enum ks_auth ks_assigned(const struct cfg_node *n, uint32_t peer, const struct lease_table *t,
			 uint64_t now_ms);

/* The address of n's BOUND, unexpired lease (0 = none): what ${ip}
 * renders for a node without a reservation, whoever fetches. */
uint32_t ks_lease_of(const struct cfg_node *n, const struct lease_table *t, uint64_t now_ms);

/* The node whose assigned address (as above) is peer, else NULL. */
const struct cfg_node *ks_node_at(const struct cfg *c, uint32_t peer, const struct lease_table *t,
				  uint64_t now_ms);

/* The kickstart rule: ks_assigned(), else ?token= (req_token) equal to
 * http.kickstart_token (cfg_token, NULL/"" = token access off). */
enum ks_auth ks_authorize(const struct cfg_node *n, uint32_t peer, const struct lease_table *t,
			  uint64_t now_ms, const char *cfg_token, const char *req_token);
const char *ks_auth_name(enum ks_auth a);

/* a == b for a secret b, in time independent of where they differ; false
 * for an empty b. */
bool ks_token_equal(const char *a, const char *b);

/* Reads a secret from a root-only file: a regular file owned by root or
 * by us, no group/other permission bits, first line, surrounding blanks
 * trimmed.  Returns its length, -EPERM (too open: the caller must not use
 * it), -ENODATA (empty) or -errno. */
int ks_read_secret_file(const char *path, char *buf, size_t cap);

/* The per-node callback secret, rendered into the node's own kickstart as
 * ${node_secret}: hex of HMAC-SHA256(key, "bootstorm-node:" name), cut to
 * 128 bits.  key: ks_server_key(). */
#define KS_SECRET_HEX 32
void ks_node_secret(const uint8_t key[32], const char *name, char out[KS_SECRET_HEX + 1]);

/* The key node secrets derive from: SHA-256 of the admin token when
 * http.admin_token_file is set and readable, else a random key drawn once
 * per process (node secrets then change on restart).  Returns 0 or -errno
 * (no entropy). */
int ks_server_key(const struct cfg *c, uint8_t key[32]);

/* First fetch wins (issue 15 item 1): on a flat L2 an address can be taken
 * over (a host configures a powered-off node's IP, or DHCPs with its MAC).
 * That cannot be told from the node, but two different addresses fetching
 * one node's kickstart can: the first authorised fetch of a node records
 * its address; a fetch from another address within KS_ONCE_TTL_MS, until
 * the node reports done/failed (ks_once_reset), is refused and alarmed.
 * Token reads (an admin) neither count nor are refused.  Fixed capacity,
 * the oldest entry of a probe run is reused: memory does not grow.
 * Thread safe (one mutex); process-wide. */
#define KS_ONCE_TTL_MS (60u * 60u * 1000u)
enum ks_once {
	KS_ONCE_FIRST = 0,	/* recorded: this address owns the node's install */
	KS_ONCE_SAME,		/* the same address again (a retry): allowed */
	KS_ONCE_OTHER,		/* another address: refuse, alarm */
	KS_ONCE_MAX
};
enum ks_once ks_once_check(const uint8_t mac[6], uint32_t ip, uint64_t now_ms, uint32_t *first_ip);
void ks_once_reset(const uint8_t mac[6]);
void ks_once_clear(void); /* tests */

void ks_fmt_ip(uint32_t ip, char buf[16]);
void ks_fmt_mac(const uint8_t mac[6], char buf[18]);

#endif
