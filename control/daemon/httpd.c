/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/api.h"
#include "control/daemon/bootroutes.h"
#include "control/daemon/httpsend.h"
#include "control/daemon/httputil.h"
#include "control/daemon/kickstart.h"
#include "control/log.h"
#include "control/daemon/pxegen.h"
#include "control/daemon/tmpl.h"
#include "control/web/bs_web.h"

struct req {
	size_t body;	/* POST bytes seen (discarded) */
};

struct hreq {
	struct ctl *c;
	struct MHD_Connection *conn;
	const char *method, *url;
	uint32_t peer;
	char peer_s[16];
	bool head;
};

/* A connection from this host: loopback, or a peer address that is the
 * connection's own local address (a TCP handshake cannot be completed by
 * a remote host claiming one of our addresses). */
static bool
peer_is_local(struct MHD_Connection *conn, uint32_t peer)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_in la;
	socklen_t sl = sizeof(la);

	if ((peer >> 24) == 127)
		return true;
	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&la, &sl) < 0 ||
	    la.sin_family != AF_INET)
		return false;
	return peer != 0 && ntohl(la.sin_addr.s_addr) == peer;
}

static uint32_t
peer_ip(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)ci->client_addr)->sin_addr.s_addr);
	return 0;
}

static enum MHD_Result
queue(struct hreq *h, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(h->conn, status, resp);
	MHD_destroy_response(resp);
	ctl_http_count(h->c, status);
	return ret;
}

static void
log_req(struct hreq *h, enum log_level lvl, unsigned status, const char *why)
{
	char u[256], w[256];

	log_sanitize(u, sizeof(u), h->url);
	log_sanitize(w, sizeof(w), why ? why : "");
	ctl_log(lvl, "http", "%s %s %s -> %u%s%s", h->peer_s, h->method, u, status,
		why ? ": " : "", w);
}

static enum MHD_Result
reply_text(struct hreq *h, unsigned status, const char *text, const char *why)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	log_req(h, status >= 500 ? LOG_LVL_ERR : status >= 400 ? LOG_LVL_WARN : LOG_LVL_DEBUG, status,
		why);
	return queue(h, status, r);
}

static enum MHD_Result
reply_owned(struct hreq *h, unsigned status, const char *type, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* RFC 9110 11.6.1: a 401 says which scheme it wants */
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"bootstorm\"");
	atomic_fetch_add_explicit(&h->c->http_bytes, len, memory_order_relaxed);
	log_req(h, status >= 500 ? LOG_LVL_ERR : status >= 400 ? LOG_LVL_WARN : LOG_LVL_DEBUG, status,
		NULL);
	return queue(h, status, r);
}

/* The live web view (control/web/index.html, embedded at build time): a
 * static page that polls /api/status and /api/nodes itself. */
static enum MHD_Result
reply_page(struct hreq *h)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		bs_web_index_html_len, (void *)bs_web_index_html, MHD_RESPMEM_PERSISTENT);

	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
		/* A new build must not be hidden behind a cached old page. */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	atomic_fetch_add_explicit(&h->c->http_bytes, bs_web_index_html_len, memory_order_relaxed);
	log_req(h, LOG_LVL_DEBUG, 200, NULL);
	return queue(h, 200, r);
}

static const char *
hdr(struct hreq *h, const char *name)
{
	return MHD_lookup_connection_value(h->conn, MHD_HEADER_KIND, name);
}

/* Marks the boot progress of a known client (never creates entries for
 * arbitrary peers: a load generator must not fill the view).  Only files
 * actually served count: a 404 path is whatever the client typed. */
static void
note_fetch(struct hreq *h, uint8_t stage, const char *file, unsigned status)
{
	struct bv_node n;

	if (status != 200 && status != 206 && status != 304)
		return;
	if (bv_get_ip(&h->c->bv, h->peer, &n))
		bv_set_stage(&h->c->bv, n.mac, h->peer, stage, file, ctl_now_ms());
}

/* Serves rel below root_fd (and below alt_fd when not found there). */
/* HTTP_SEND_TIMEOUT_S while a file body is in flight (httpd.h) */
static void
set_timeout(struct MHD_Connection *conn, unsigned s)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_TIMEOUT);

	if (!ci || ci->connection_timeout != s)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s);
}

static enum MHD_Result
serve_file(struct hreq *h, int root_fd, int alt_fd, const char *rel, unsigned *served)
{
	char lm[40], cr[80], len_s[24];
	struct MHD_Response *r;
	uint64_t start = 0, len = 0;
	enum range_res rr;
	const char *ims, *ir;
	struct stat st;
	unsigned status = 200;
	time_t t;
	int fd = -1, rc;

	if (root_fd < 0 && alt_fd < 0)
		return reply_text(h, 404, "404 Not Found\n", "root directory not available");
	rc = root_fd >= 0 ? http_open_beneath(root_fd, rel, &fd, &st) : -ENOENT;
	if ((rc == -ENOENT || rc == -ENOTDIR) && alt_fd >= 0)
		rc = http_open_beneath(alt_fd, rel, &fd, &st);
	if (rc == -EACCES)
		return reply_text(h, 403, "403 Forbidden\n", "path escapes the root or is not a regular file");
	if (rc == -EISDIR)
		return reply_text(h, 403, "403 Forbidden\n", "directory listing disabled");
	if (rc < 0)
		return reply_text(h, 404, "404 Not Found\n", strerror(-rc));

	http_date_fmt(st.st_mtime, lm, sizeof(lm));
	/* RFC 9110 13.1.3: If-Modified-Since only for GET/HEAD (all we serve) */
	ims = hdr(h, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (ims && http_date_parse(ims, &t) && st.st_mtime <= t) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
		log_req(h, LOG_LVL_DEBUG, 304, NULL);
		*served = 304;
		return queue(h, 304, r);
	}
	rr = http_range_parse(hdr(h, MHD_HTTP_HEADER_RANGE), (uint64_t)st.st_size, &start, &len);
	/* RFC 9110 13.1.5: If-Range with a date that is not our Last-Modified
	 * means "the whole new representation" */
	ir = hdr(h, MHD_HTTP_HEADER_IF_RANGE);
	if (rr != RANGE_NONE && ir && strcmp(ir, lm) != 0)
		rr = RANGE_NONE;
	if (rr == RANGE_UNSATISFIABLE) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)st.st_size);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		log_req(h, LOG_LVL_WARN, 416, "range not satisfiable");
		return queue(h, 416, r);
	}
	if (rr == RANGE_OK) {
		status = 206;
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)(start + len - 1), (unsigned long long)st.st_size);
	} else {
		start = 0;
		len = (uint64_t)st.st_size;
	}
	if (len == 0) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		/* MHD owns fd now and sends it with sendfile() */
		r = http_send_fd_response(len, fd, start); /* wide sendfile calls */
		if (!r)
			close(fd);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, http_content_type(rel));
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (status == 206)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	if (!h->head) {
		atomic_fetch_add_explicit(&h->c->http_bytes, len, memory_order_relaxed);
		set_timeout(h->conn, HTTP_SEND_TIMEOUT_S);
	}
	snprintf(len_s, sizeof(len_s), "%llu", (unsigned long long)len);
	log_req(h, LOG_LVL_DEBUG, status, len_s);
	*served = status;
	return queue(h, status, r);
}

static const struct lease_table *
leases_of(const struct ctl *c)
{
	return c->have_region ? shm_leases(&c->region) : NULL;
}

/* Node addressed by the URL tail (name/MAC/IP), else by the peer address
 * as the server assigned it (reserved, else a BOUND lease: never the boot
 * view, which believes what clients claim).  cfg_lock held. */
static const struct cfg_node *
node_for(struct hreq *h, const struct cfg *cfg, const char *tail)
{
	if (tail && *tail)
		return api_find_node(cfg, tail);
	return ks_node_at(cfg, h->peer, leases_of(h->c), ctl_now_ms());
}

/* Renders the template for node n; secret: the node's callback secret
 * (${node_secret}, kickstarts only; NULL elsewhere). */
static enum MHD_Result
render_reply(struct hreq *h, const char *what, const char *tmpl_path, const char *builtin,
	     const struct cfg *cfg, const struct cfg_node *n, uint32_t ip, const char *secret)
{
	struct tmpl_vars vs = { 0 };
	struct tmpl_err err = { 0 };
	char *out = NULL;
	size_t len;
	int rc;

	rc = ks_node_vars_p(cfg, n, n ? bootroutes_profile(h->c, cfg, n) : NULL, ip, &vs, &err);
	if (rc == 0 && secret)
		rc = tmpl_vars_set(&vs, "node_secret", secret);
	if (rc == 0 && tmpl_path)
		rc = tmpl_render_file(tmpl_path, &vs, &out, &len, &err);
	else if (rc == 0)
		rc = tmpl_render(builtin, builtin, strlen(builtin), &vs, &out, &len, &err);
	tmpl_vars_free(&vs);
	if (rc < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s template error at %s: %s", what, err.where, err.msg);
		return reply_text(h, 500, "500 Internal Server Error: template error (see the server log)\n",
				  msg);
	}
	return reply_owned(h, 200, "text/plain; charset=utf-8", out, len);
}

static void
tmpl_path_of(const struct cfg *cfg, const char *file, char *buf, size_t cap)
{
	if (file[0] == '/' || !cfg->templates)
		snprintf(buf, cap, "%s", file);
	else
		snprintf(buf, cap, "%s/%s", cfg->templates, file);
}

static enum MHD_Result
handle_ks(struct hreq *h, const char *tail)
{
	struct ctl *c = h->c;
	const struct cfg_profile *p;
	const struct cfg_node *n;
	enum ks_auth auth;
	enum MHD_Result ret;
	char path[4300], why[200], secret[KS_SECRET_HEX + 1];
	uint8_t key[32];
	uint32_t ip;

	pthread_rwlock_rdlock(&c->cfg_lock);
	n = node_for(h, c->cfg, tail);
	if (!n) {
		ret = reply_text(h, 404, "404 Not Found: no such node\n", "kickstart for an unknown node");
		goto out;
	}
	auth = ks_authorize(n, h->peer, leases_of(c), ctl_now_ms(), c->cfg->kickstart_token,
			    MHD_lookup_connection_value(h->conn, MHD_GET_ARGUMENT_KIND, "token"));
	if (auth == KS_DENY) {
		snprintf(why, sizeof(why), "kickstart of node %s refused: peer is neither its address nor has a valid token",
			 n->name);
		ret = reply_text(h, 403, "403 Forbidden\n", why);
		goto out;
	}
	p = bootroutes_profile(c, c->cfg, n);
	if (!p || !p->kickstart) {
		ret = reply_text(h, 404, "404 Not Found: no kickstart for this node's profile\n",
				 "profile has no kickstart");
		goto out;
	}
	/* an admin's token read neither counts nor is refused */
	if (auth != KS_ALLOW_TOKEN && c->cfg->kickstart_once &&
	    ks_once_check(n->mac, h->peer, ctl_now_ms(), &ip) == KS_ONCE_OTHER) {
		char first[16];

		ks_fmt_ip(ip, first);
		LOG_ERR("http", "ALARM: kickstart of %s from %s, but %s fetched it first: refused (an address taken over?)",
			n->name, h->peer_s, first);
		snprintf(why, sizeof(why), "kickstart of node %s already fetched by %s", n->name, first);
		ret = reply_text(h, 403, "403 Forbidden\n", why);
		goto out;
	}
	if (ks_server_key(c->cfg, key) < 0) {
		ret = reply_text(h, 500, "500 Internal Server Error\n", "no key for node secrets");
		goto out;
	}
	ks_node_secret(key, n->name, secret);
	explicit_bzero(key, sizeof(key));
	tmpl_path_of(c->cfg, p->kickstart, path, sizeof(path));
	LOG_INFO("http", "kickstart of %s to %s (%s)", n->name, h->peer_s, ks_auth_name(auth));
	/* the address the server assigned: reserved, else leased */
	ip = n->has_ip ? n->ip : auth == KS_ALLOW_LEASED ? h->peer : ks_lease_of(n, leases_of(c), ctl_now_ms());
	ret = render_reply(h, "kickstart", path, NULL, c->cfg, n, ip, secret);
	explicit_bzero(secret, sizeof(secret));
	/* Only the node's own fetch is boot progress: an admin reading a
	 * kickstart with the token must not move a finished node back. */
	if (auth != KS_ALLOW_TOKEN) {
		bv_set_stage(&c->bv, n->mac, ip, BOOT_STAGE_INSTALLING, p->kickstart, ctl_now_ms());
		bootroutes_installing(c, n);
	}
out:
	pthread_rwlock_unlock(&c->cfg_lock);
	return ret;
}

static enum MHD_Result
handle_ipxe(struct hreq *h, const char *tail)
{
	struct ctl *c = h->c;
	const struct cfg_node *n;
	const char *mac_arg;
	enum MHD_Result ret;
	char path[4300];
	struct stat st;
	uint32_t ip;

	pthread_rwlock_rdlock(&c->cfg_lock);
	/* iPXE can say who it is: /ipxe/boot?mac=${net0/mac} */
	mac_arg = MHD_lookup_connection_value(h->conn, MHD_GET_ARGUMENT_KIND, "mac");
	if (strcmp(tail, "boot") == 0)
		tail = mac_arg;
	n = node_for(h, c->cfg, tail);
	if (!n && tail && *tail) {
		ret = reply_text(h, 404, "404 Not Found: no such node\n", "iPXE script for an unknown node");
		goto out;
	}
	if (n && bootroutes_is_local(c, c->cfg, n)) {
		ip = n->has_ip ? n->ip : ks_lease_of(n, leases_of(c), ctl_now_ms());
		ret = render_reply(h, "iPXE", NULL, ipxe_local_tmpl, c->cfg, n, ip, NULL);
		goto out;
	}
	if (!(n ? bootroutes_profile(c, c->cfg, n) : cfg_profile_by_name(c->cfg, c->cfg->default_profile ? c->cfg->default_profile : ""))) {
		ret = reply_text(h, 404, "404 Not Found: no profile for this client\n",
				 "iPXE script: no profile and no default profile");
		goto out;
	}
	tmpl_path_of(c->cfg, "ipxe.ipxe", path, sizeof(path));
	/* No secrets here: the script says what pxelinux.cfg says over TFTP
	 * (kernel, initrd, append), which is public on the LAN anyway. */
	ip = n && n->has_ip ? n->ip : ks_lease_of(n, leases_of(c), ctl_now_ms());
	ret = render_reply(h, "iPXE", stat(path, &st) == 0 ? path : NULL, ipxe_node_tmpl, c->cfg, n,
			   ip ? ip : h->peer, NULL);
out:
	pthread_rwlock_unlock(&c->cfg_lock);
	return ret;
}

/* The Authorization: Bearer value (RFC 6750 2.1), NULL when absent. */
static const char *
bearer_of(struct hreq *h)
{
	const char *a = hdr(h, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!a || strncasecmp(a, "Bearer ", 7) != 0)
		return NULL;
	a += 7;
	while (*a == ' ')
		a++;
	return *a ? a : NULL;
}

static bool
in_net(uint32_t ip, uint32_t net, uint8_t prefix)
{
	uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;

	return (ip & mask) == (net & mask);
}

/* Admin: the token of http.admin_token_file as bearer (read per request,
 * so a rotated file counts at once), a local connection while
 * http.admin_local is on, or a peer in http.admin_network. */
static bool
is_admin(struct hreq *h, const char *bearer)
{
	char *file = NULL, tok[512];
	bool local_ok, net_ok, ok = false;
	int n;

	pthread_rwlock_rdlock(&h->c->cfg_lock);
	local_ok = h->c->cfg->admin_local;
	net_ok = h->c->cfg->has_admin_net && h->peer &&
		 in_net(h->peer, h->c->cfg->admin_net, h->c->cfg->admin_net_prefix);
	if (bearer && h->c->cfg->admin_token_file)
		file = strdup(h->c->cfg->admin_token_file);
	pthread_rwlock_unlock(&h->c->cfg_lock);
	if (net_ok || (local_ok && peer_is_local(h->conn, h->peer)))
		return true;
	if (!file)
		return false;
	n = ks_read_secret_file(file, tok, sizeof(tok));
	if (n > 0)
		ok = ks_token_equal(bearer, tok);
	else
		LOG_ERR("http", "admin token file %s unusable (%s): token access refused", file,
			n == -EPERM ? "readable by others or not ours" : strerror(-n));
	explicit_bzero(tok, sizeof(tok));
	free(file);
	return ok;
}

static const char *
q_arg(const struct api_resp *r, const char *name)
{
	return MHD_lookup_connection_value(r->q_ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
handle_api(struct hreq *h)
{
	struct api_resp r = { 0 };
	struct api_caller who = { .peer = h->peer, .bearer = bearer_of(h) };

	who.admin = is_admin(h, who.bearer);
	r.q_profile = MHD_lookup_connection_value(h->conn, MHD_GET_ARGUMENT_KIND, "profile");
	r.q_reason = MHD_lookup_connection_value(h->conn, MHD_GET_ARGUMENT_KIND, "reason");
	r.q_arg = q_arg;
	r.q_ctx = h->conn;
	if (!api_handle(h->c, h->method, h->url, &who, &r))
		return reply_text(h, 404, "404 Not Found\n", "no such API path");
	if (r.status >= 400 && !r.body)
		return reply_text(h, r.status, r.status == 405 ? "405 Method Not Allowed\n" : "404 Not Found\n",
				  "API");
	return reply_owned(h, r.status, r.type, r.body, r.len);
}

static bool
prefix(const char *url, const char *p, const char **tail)
{
	size_t n = strlen(p);

	if (strncmp(url, p, n) != 0)
		return false;
	*tail = url + n;
	return true;
}

static enum MHD_Result
route(struct hreq *h)
{
	struct ctl *c = h->c;
	const char *tail;
	enum MHD_Result ret;
	unsigned served = 0;

	if (http_path_has_dotdot(h->url))
		return reply_text(h, 403, "403 Forbidden\n", "'..' in path");
	if (prefix(h->url, "/api/", &tail) || strcmp(h->url, "/metrics") == 0)
		return handle_api(h);
	if (strcmp(h->method, "POST") == 0)
		return reply_text(h, 405, "405 Method Not Allowed\n", "POST outside /api/");
	if (prefix(h->url, "/repo/", &tail)) {
		pthread_rwlock_rdlock(&c->cfg_lock);
		ret = serve_file(h, c->repo_fd, -1, tail, &served);
		pthread_rwlock_unlock(&c->cfg_lock);
		note_fetch(h, BOOT_STAGE_HTTP, tail, served);
		return ret;
	}
	if (prefix(h->url, "/boot/", &tail)) {
		pthread_rwlock_rdlock(&c->cfg_lock);
		ret = serve_file(h, c->gen_fd, c->tftp_fd, tail, &served);
		pthread_rwlock_unlock(&c->cfg_lock);
		note_fetch(h, BOOT_STAGE_HTTP, tail, served);
		return ret;
	}
	if (strcmp(h->url, "/ks") == 0 || strcmp(h->url, "/ks/") == 0)
		return handle_ks(h, NULL);
	if (prefix(h->url, "/ks/", &tail))
		return handle_ks(h, tail);
	if (prefix(h->url, "/ipxe/", &tail))
		return handle_ipxe(h, tail);
	if (strcmp(h->url, "/") == 0)
		return reply_page(h);
	/* Every browser asks; a 404 per page load would be log noise. */
	if (strcmp(h->url, "/favicon.ico") == 0)
		return reply_text(h, 204, "", NULL);
	return reply_text(h, 404, "404 Not Found\n", NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct hreq h = { .c = cls, .conn = conn, .method = method, .url = url };
	struct req *rq = *con_cls;

	(void)version;
	(void)upload_data;
	h.peer = peer_ip(conn);
	ks_fmt_ip(h.peer, h.peer_s);
	h.head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !h.head && strcmp(method, "POST") != 0) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
			strlen("405 Method Not Allowed\n"), (void *)"405 Method Not Allowed\n",
			MHD_RESPMEM_PERSISTENT);

		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
		log_req(&h, LOG_LVL_WARN, 405, "method not allowed");
		return queue(&h, 405, r);
	}
	/* MHD calls us first with the headers (answering then makes 0.9.75
	 * close the connection: no keep-alive), then per body chunk, then once
	 * more with *upload_size == 0: answer on that last call. */
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		rq->body += *upload_size;
		*upload_size = 0; /* discarded: done/failed carry no data we need */
		return rq->body > HTTP_MAX_BODY ? MHD_NO : MHD_YES;
	}
	return route(&h);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	/* idle timeout again; COMPLETED_OK comes before MHD unlists the conn */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		set_timeout(conn, HTTP_CONN_TIMEOUT_S);
	free(*con_cls);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512], clean[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	LOG_WARN("http", "libmicrohttpd: %s", log_sanitize(clean, sizeof(clean), msg));
}

/* Says at start what the admin API will accept, so a token file that is
 * missing or too open shows up before the first 401. */
static void
log_trust(const struct cfg *cfg)
{
	char tok[512];
	int n = cfg->admin_token_file ? ks_read_secret_file(cfg->admin_token_file, tok, sizeof(tok)) : 0;

	explicit_bzero(tok, sizeof(tok));
	if (n < 0)
		LOG_ERR("http", "admin token file %s unusable (%s): token access refused", cfg->admin_token_file,
			n == -EPERM ? "readable by others or not ours" : strerror(-n));
	char ip[16], net[40] = "";

	if (cfg->has_admin_net) {
		ks_fmt_ip(cfg->admin_net, ip);
		snprintf(net, sizeof(net), ", network %s/%u", ip, cfg->admin_net_prefix);
	}
	LOG_INFO("http", "admin API: %s%s%s; /metrics %s", n > 0 ? "bearer token" : "no token",
		 cfg->admin_local ? ", local connections" : "", net,
		 cfg->metrics_public ? "public" : "admin only");
}

int
httpd_start(struct ctl *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned max_conns, per_ip;
	struct rlimit rl;

	pthread_rwlock_rdlock(&c->cfg_lock);
	sa.sin_port = htons(c->cfg->http_port);
	sa.sin_addr.s_addr = htonl(c->cfg->http_ip);
	max_conns = c->cfg->http_max_conns ? c->cfg->http_max_conns : 4096;
	log_trust(c->cfg);
	pthread_rwlock_unlock(&c->cfg_lock);
	/* one fd per connection plus one per file in flight */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max_conns * 2 + 64) {
		LOG_WARN("http", "fd limit %llu: lowering http.max_connections %u to %llu",
			 (unsigned long long)rl.rlim_cur, max_conns,
			 (unsigned long long)(rl.rlim_cur - 64) / 2);
		max_conns = (unsigned)((rl.rlim_cur - 64) / 2);
	}
	/* slowloris: one address may hold at most half of the connections */
	per_ip = max_conns / 2 > 16 ? max_conns / 2 : max_conns;
	c->mhd = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL,
		on_request, c, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, c, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, c,
		MHD_OPTION_END);
	if (!c->mhd) {
		char ip[16];

		ks_fmt_ip(ntohl(sa.sin_addr.s_addr), ip);
		LOG_ERR("http", "cannot listen on %s:%u", ip, ntohs(sa.sin_port));
		return -EADDRINUSE;
	}
	LOG_INFO("http", "listening on port %u, max %u connections", ntohs(sa.sin_port), max_conns);
	return 0;
}

void
httpd_stop(struct ctl *c)
{
	if (c->mhd) {
		MHD_stop_daemon(c->mhd);
		c->mhd = NULL;
	}
}
