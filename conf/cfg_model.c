/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The lifecycle of a struct cfg: defaults before the walk, values derived
 * from others after it, interned file names, freeing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_priv.h"
#include "shm/shm.h"

const char *
cfg_intern(struct cfg *c, const char *name)
{
	for (size_t i = 0; i < c->n_files; i++)
		if (!strcmp(c->files[i], name))
			return c->files[i];
	char **f = realloc(c->files, (c->n_files + 1) * sizeof(*f));
	if (!f)
		return "?";
	c->files = f;
	if (!(f[c->n_files] = strdup(name)))
		return "?";
	return f[c->n_files++];
}

void
cfg_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
}

/* Every optional setting's default (packaging/man/bootstorm.yaml.5 lists
 * them). */
int
cfg_defaults(struct cfg *c)
{
	c->name = strdup("bootstorm");
	c->instance = strdup(SHM_DEFAULT_INSTANCE);
	c->state_dir = strdup("/var/lib/bootstorm");
	c->workers = 1;
	c->mtu = 1500;
	c->idle_sleep_us = 50;
	c->unknown_policy = SNAP_UNKNOWN_ALLOW;
	c->lease_s = 3600;
	c->offer_hold_s = 30;
	c->decline_hold_s = 600;
	c->max_dynamic = 10000;
	c->max_leases = 65536;
	c->tftp_root = strdup("/srv/tftp");
	c->tftp_max_blksize = 1468;
	c->tftp_max_windowsize = 16;
	c->tftp_timeout_ms = 1000;
	c->tftp_retries = 5;
	c->tftp_port_lo = 40000;
	c->tftp_port_hi = 59999;
	c->tftp_max_transfers = 100000;
	c->tftp_max_per_client = 4;
	c->http_port = 80;
	c->repo_root = strdup("/srv/repo");
	c->templates = cfg_abs_path(c, "templates");
	c->http_max_conns = 4096;
	c->admin_local = true;
	c->metrics_public = true;
	c->kickstart_once = true;
	c->journal_commit_ms = 2;
	c->power_max_in_flight = 50;
	c->power_on_rate = 5;
	c->power_timeout_ms = 10000;
	c->power_retries = 2;
	c->fleet_ship_ms = 1000;
	c->fleet_batch = 1000;
	c->fleet_deadline_s = 15;
	c->fleet_live_ms = 1000;
	c->fleet_lb_secs = 10;
	c->disc_max = 4096;
	c->power_dhcp_deadline_ms = 300000;
	c->power_max_repower = 2;
	c->power_install_deadline_ms = 3600000;
	c->power_verify_deadline_ms = 600000;
	return c->name && c->instance && c->state_dir && c->tftp_root && c->repo_root &&
			       c->templates ?
		       0 :
		       -ENOMEM;
}

/* Fills the values that default from others once the whole file is read. */
void
cfg_derive(struct cfg *c)
{
	if (!c->renew_s)
		c->renew_s = c->lease_s / 2;
	if (!c->rebind_s)
		c->rebind_s = (uint32_t)((uint64_t)c->lease_s * 7 / 8);
	if (!c->next_server)
		c->next_server = c->server_ip;
	for (size_t i = 0; i < c->n_subnets; i++) {
		struct cfg_subnet *s = &c->subnets[i];
		bool own_lease = s->lease_s != 0;
		if (!s->lease_s)
			s->lease_s = c->lease_s;
		if (!s->renew_s)
			s->renew_s = own_lease ? s->lease_s / 2 : c->renew_s;
		if (!s->rebind_s)
			s->rebind_s = own_lease ? (uint32_t)((uint64_t)s->lease_s * 7 / 8) :
						  c->rebind_s;
		if (!s->next_server)
			s->next_server = c->next_server;
	}
	if (!c->http_base_url && c->server_ip) {
		char ip[16], url[64];
		cfgp_ip_str(c->server_ip, ip);
		if (c->http_port == 80)
			snprintf(url, sizeof(url), "http://%s", ip);
		else
			snprintf(url, sizeof(url), "http://%s:%u", ip, c->http_port);
		c->http_base_url = strdup(url);
	}
	if (c->state_dir) {
		size_t n = strlen(c->state_dir) + sizeof("/tftp-gen");
		if ((c->tftp_gen_root = malloc(n)))
			snprintf(c->tftp_gen_root, n, "%s/tftp-gen", c->state_dir);
	}
}


static void
vars_free(struct cfg_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void
cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->name);
	free(c->instance);
	free(c->state_dir);
	for (size_t i = 0; i < c->n_eal_args; i++)
		free(c->eal_args[i]);
	free(c->eal_args);
	for (size_t i = 0; i < c->n_ports; i++)
		free(c->ports[i].devargs);
	free(c->ports);
	free(c->punt_iface);
	for (size_t i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].domain);
		free(c->subnets[i].pools);
	}
	free(c->subnets);
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		free(c->boot_file[a]);
	free(c->ipxe_url);
	free(c->default_profile);
	free(c->tftp_root);
	free(c->http_base_url);
	free(c->repo_root);
	free(c->templates);
	free(c->kickstart_token);
	free(c->admin_token_file);
	free(c->power_cred_file);
	free(c->power_redfish_ca);
	free(c->power_verify);
	free(c->disc_enrolled);
	for (size_t i = 0; i < c->n_profiles; i++) {
		struct cfg_profile *p = &c->profiles[i];
		free(p->name);
		for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
			free(p->boot_file[a]);
		free(p->ipxe_url);
		free(p->http_boot);
		free(p->kernel);
		free(p->initrd);
		free(p->append);
		free(p->kickstart);
		free(p->repo_url);
		vars_free(p->vars, p->n_vars);
	}
	free(c->profiles);
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct cfg_node *n = &c->nodes[i];
		free(n->name);
		free(n->profile);
		free(n->boot_file);
		free(n->ipxe_url);
		free(n->client_id);
		free(n->bmc);
		vars_free(n->vars, n->n_vars);
	}
	free(c->nodes);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->base_dir);
	free(c->by_name);
	free(c->by_mac);
	free(c->by_ip);
	free(c->tftp_gen_root);
	free(c->fleet_database);
	free(c->fleet_server_name);
	free(c->fleet_inventory);
	for (uint32_t i = 0; i < c->n_fleet_peers; i++)
		free(c->fleet_peers[i]);
	free(c);
}
