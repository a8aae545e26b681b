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
	KS_ALLOW_LEASED,	/* ... from the address leased to the node's MAC */
	KS_ALLOW_TOKEN,		/* ?token= matched http.kickstart_token */
	KS_AUTH_MAX
};

/* The kickstart authorisation rule.  peer: the requesting IPv4 (host
 * order); leased_ip: the address currently leased to the node's MAC (0 =
 * none); cfg_token: http.kickstart_token (NULL/"" = token access off);
 * req_token: the request's ?token= (NULL = absent).  The token compare
 * takes time independent of where the strings differ. */
enum ks_auth ks_authorize(const struct cfg_node *n, uint32_t peer, uint32_t leased_ip,
			  const char *cfg_token, const char *req_token);
const char *ks_auth_name(enum ks_auth a);

void ks_fmt_ip(uint32_t ip, char buf[16]);
void ks_fmt_mac(const uint8_t mac[6], char buf[18]);

#endif
