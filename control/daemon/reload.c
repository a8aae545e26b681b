/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Config publication and reload (control/daemon/reload.h).
 */
#include "control/daemon/reload.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "conf/snap_build.h"
#include "control/daemon/grubgen.h"
#include "control/daemon/pxegen.h"
#include "control/log.h"

#define PUBLISH_WAIT_MS 2000u

static void
log_cfg_errs(const struct cfg_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		LOG_ERR("config", "%s:%u:%u: %s", errs->v[i].loc.file ? errs->v[i].loc.file : "?",
			errs->v[i].loc.line, errs->v[i].loc.col, errs->v[i].msg);
	if (errs->dropped)
		LOG_ERR("config", "... and %zu more errors", errs->dropped);
}

static int
open_dir(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		LOG_WARN("serve", "%s: %s (requests under it will fail with 404)", path, strerror(errno));
	return fd;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A node's snapshot boot fields from its boot state under cfg. */
static void
node_boot_fields(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n,
		 struct snap_node_boot *o)
{
	struct ns_boot b;

	ns_boot_of(&c->ns, cfg, n, &b);
	o->boot = b.held ? SNAP_BOOT_HOLD : b.state == NS_LOCAL ? SNAP_BOOT_LOCAL : SNAP_BOOT_NET;
	o->profile = b.p ? b.p->name : NULL;
}

struct boot_src {
	struct ctl *c;
	const struct cfg *cfg;
};

static void
node_boot_cb(void *arg, const struct cfg_node *n, struct snap_node_boot *o)
{
	const struct boot_src *x = arg;

	node_boot_fields(x->c, x->cfg, n, o);
}

/* Copies s into the region as the next generation; keeps s as snap_last
 * (takes it) built from cfg.  Under pub_mu. */
static int
publish_locked(struct ctl *c, const struct cfg *cfg, struct snap_hdr *s)
{
	int rc;

	uint64_t grows = atomic_load(&c->region.hdr->snap_grows);

	/* A snapshot bigger than the slots in use goes into a new, bigger
	 * snapshot area (shm/shm.h): no restart of either process. */
	rc = shm_publish(&c->region, s, PUBLISH_WAIT_MS);
	if (rc < 0) {
		LOG_ERR("config", "publishing generation %llu (%u bytes): %s%s; still serving generation %llu",
			(unsigned long long)s->gen, s->size, strerror(-rc),
			rc == -ENOSPC || rc == -EFBIG ? " (no room in /dev/shm for a bigger snapshot area)"
			: rc == -E2BIG ? " (every snapshot area number used: restart control and the dataplane)" : "",
			(unsigned long long)shm_published_gen(&c->region));
		return rc;
	}
	if (atomic_load(&c->region.hdr->snap_grows) != grows)
		LOG_INFO("config", "generation %llu (%u bytes) outgrew the snapshot slots: published into a new area, %llu bytes per slot",
			 (unsigned long long)s->gen, s->size,
			 (unsigned long long)atomic_load(&c->region.hdr->snap_cap));
	atomic_store(&c->gen, s->gen);
	if (c->snap_last != s)
		free(c->snap_last);
	c->snap_last = s;
	c->snap_cfg = cfg;
	return 0;
}

static int
build_publish_locked(struct ctl *c, const struct cfg *cfg)
{
	struct boot_src x = { c, cfg };
	uint64_t gen = shm_published_gen(&c->region) + 1;
	struct snap_hdr *s = NULL;
	size_t len = 0;
	int rc;

	rc = snap_build_nodes(cfg, gen, node_boot_cb, &x, &s, &len);
	if (rc == 0 && c->snap_decorate && (rc = c->snap_decorate(c, &s, &len)) < 0)
		free(s); /* fleet failover's bucket set and adopted leases */
	if (rc < 0) {
		LOG_ERR("config", "building the snapshot: %s", strerror(-rc));
		return rc;
	}
	rc = publish_locked(c, cfg, s);
	if (rc < 0)
		free(s);
	else
		LOG_INFO("config", "published generation %llu (%zu bytes)", (unsigned long long)gen, len);
	return rc;
}

int
ctl_publish(struct ctl *c, const struct cfg *cfg)
{
	int rc;

	pthread_mutex_lock(&c->pub_mu);
	rc = build_publish_locked(c, cfg);
	pthread_mutex_unlock(&c->pub_mu);
	return rc;
}

/* Patches the boot fields of the named nodes (NULL: every node) into
 * snap_last and republishes it when one changed: no YAML parse, no string
 * table, one copy and crc of the snapshot.  The state is read now, under
 * pub_mu, so a change racing a reload's build is either in that build or
 * patched into it here.  Falls back to a full build from snap_cfg when a
 * node or profile is not where the patch looks (the tables changed). */
static int
republish_states(struct ctl *c, const char *const *names, size_t n_names)
{
	const struct cfg *cfg;
	size_t n, changed = 0;
	int rc = 0;

	pthread_mutex_lock(&c->pub_mu);
	cfg = c->snap_cfg;
	if (!cfg || !c->snap_last)
		goto out;
	n = names ? n_names : cfg->n_nodes;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const struct cfg_node *nd = names ? cfg_node_by_name(cfg, names[i]) : &cfg->nodes[i];
		struct snap_node_boot b;

		if (!nd)
			continue; /* not in this config: no DHCP answer to change */
		node_boot_fields(c, cfg, nd, &b);
		rc = snap_node_set_boot(c->snap_last, nd->name, &b);
		changed += rc > 0;
	}
	if (rc < 0)
		rc = build_publish_locked(c, cfg);
	else if (changed) {
		snap_seal(c->snap_last, shm_published_gen(&c->region) + 1);
		rc = publish_locked(c, cfg, c->snap_last);
		if (rc == 0)
			LOG_INFO("config", "published generation %llu: boot state of %zu nodes",
				 (unsigned long long)c->snap_last->gen, changed);
	}
out:
	pthread_mutex_unlock(&c->pub_mu);
	return rc;
}

int
ctl_republish(struct ctl *c)
{
	int rc = 0;

	pthread_mutex_lock(&c->pub_mu);
	if (c->snap_cfg)
		rc = build_publish_locked(c, c->snap_cfg);
	pthread_mutex_unlock(&c->pub_mu);
	return rc;
}

int
ctl_publish_node(struct ctl *c, const char *name)
{
	return republish_states(c, &name, 1);
}

int
ctl_publish_states(struct ctl *c)
{
	return republish_states(c, NULL, 0);
}

int
ctl_publish_nodes(struct ctl *c, const char *const *names, size_t n)
{
	return n ? republish_states(c, names, n) : 0;
}

/* Generations of boot files so far, any thread (under gen_mu): tells a
 * reload whether someone wrote files between its pass and its install. */
static _Atomic uint64_t gen_passes;

/* ctl_gen_files; returns gen_passes after this pass. */
static uint64_t
gen_files(struct ctl *c, const struct cfg *cfg)
{
	struct pxegen_stats st, gst = { 0 };
	uint64_t pass;
	int rc, grc;

	if (!cfg->tftp_gen_root)
		return atomic_load_explicit(&gen_passes, memory_order_relaxed);
	pthread_mutex_lock(&c->ns.gen_mu);
	rc = pxegen_write(cfg, &c->ns, cfg->tftp_gen_root, &st);
	grc = grubgen_write(cfg, &c->ns, cfg->tftp_gen_root, &gst);
	/* relaxed: a pass by another thread holds cfg_lock (read), so the
	 * install's write lock orders it before the reload's check */
	pass = atomic_fetch_add_explicit(&gen_passes, 1, memory_order_relaxed) + 1;
	pthread_mutex_unlock(&c->ns.gen_mu);
	LOG_INFO("pxegen", "%s/pxelinux.cfg: %zu written (%zu of them links), %zu unchanged, %zu removed, %zu failed%s",
		 cfg->tftp_gen_root, st.written, st.linked, st.unchanged, st.removed, st.failed,
		 rc < 0 ? " (errors above)" : "");
	LOG_INFO("pxegen", "%s/grub: %zu written (%zu of them links), %zu unchanged, %zu removed, %zu failed%s",
		 cfg->tftp_gen_root, gst.written, gst.linked, gst.unchanged, gst.removed, gst.failed,
		 grc < 0 ? " (errors above)" : "");
	return pass;
}

void
ctl_gen_files(struct ctl *c, const struct cfg *cfg)
{
	gen_files(c, cfg);
}

void
ctl_gen_nodes(struct ctl *c, const struct cfg *cfg, const struct cfg_node *const *v, size_t n)
{
	struct pxegen_stats st, gst;
	int rc, grc;

	if (!cfg->tftp_gen_root || n == 0)
		return;
	pthread_mutex_lock(&c->ns.gen_mu);
	rc = pxegen_write_nodes(cfg, &c->ns, cfg->tftp_gen_root, v, n, &st);
	grc = grubgen_write_nodes(cfg, &c->ns, cfg->tftp_gen_root, v, n, &gst);
	atomic_fetch_add_explicit(&gen_passes, 1, memory_order_relaxed); /* under gen_mu */
	pthread_mutex_unlock(&c->ns.gen_mu);
	if (rc < 0 || grc < 0)
		LOG_ERR("pxegen", "boot files of %s%s: %s", v[0]->name, n > 1 ? " and others" : "",
			strerror(-(rc < 0 ? rc : grc)));
}

void
ctl_gen_node(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n)
{
	ctl_gen_nodes(c, cfg, &n, 1);
}

void
ctl_install_cfg(struct ctl *c, struct cfg *cfg)
{
	struct cfg *old;
	int repo = open_dir(cfg->repo_root), tftp = open_dir(cfg->tftp_root);
	int gen = cfg->tftp_gen_root ? open(cfg->tftp_gen_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	pthread_rwlock_wrlock(&c->cfg_lock);
	old = c->cfg;
	c->cfg = cfg;
	close_fd(&c->repo_fd);
	close_fd(&c->tftp_fd);
	close_fd(&c->gen_fd);
	c->repo_fd = repo;
	c->tftp_fd = tftp;
	c->gen_fd = gen;
	c->commit_ms = cfg->journal_commit_ms;
	pthread_rwlock_unlock(&c->cfg_lock);
	if (old != cfg)
		cfg_free(old);
}

void
ctl_release_cfg(struct ctl *c)
{
	pthread_mutex_lock(&c->pub_mu);
	free(c->snap_last);
	c->snap_last = NULL;
	c->snap_cfg = NULL;
	pthread_mutex_unlock(&c->pub_mu);
	pthread_rwlock_wrlock(&c->cfg_lock);
	cfg_free(c->cfg);
	c->cfg = NULL;
	close_fd(&c->repo_fd);
	close_fd(&c->tftp_fd);
	close_fd(&c->gen_fd);
	pthread_rwlock_unlock(&c->cfg_lock);
}

void
ctl_reload(struct ctl *c, const char *why)
{
	struct cfg_errs errs = { 0 };
	struct cfg *cfg;
	uint64_t pass;

	LOG_INFO("config", "reloading %s (%s)", c->cfg_path, why);
	cfg = cfg_load(c->cfg_path, &errs);
	if (!cfg || errs.n) {
		log_cfg_errs(&errs);
		LOG_ERR("config", "%s rejected (%zu errors); generation %llu stays published",
			c->cfg_path, errs.n + errs.dropped, (unsigned long long)atomic_load(&c->gen));
		atomic_fetch_add(&c->reload_failures, 1);
		cfg_free(cfg);
		cfg_errs_free(&errs);
		return;
	}
	cfg_errs_free(&errs);
	if (cfg->max_leases != c->cfg->max_leases || cfg->workers != c->cfg->workers ||
	    strcmp(cfg->instance ? cfg->instance : "", c->cfg->instance ? c->cfg->instance : "") ||
	    strcmp(cfg->state_dir, c->cfg->state_dir))
		LOG_WARN("config", "instance, state_dir, workers and max_leases take effect at the next restart");
	if (ctl_publish(c, cfg) < 0) {
		atomic_fetch_add(&c->reload_failures, 1);
		cfg_free(cfg);
		return;
	}
	pass = gen_files(c, cfg);
	ctl_install_cfg(c, cfg);
	/* A boot-state change between the two saw the old config (it held
	 * cfg_lock) and wrote its node's files from it: generate again from
	 * the installed one, only then (a pass over 100,000 nodes' files is
	 * seconds; a state change with no files written yet writes them from
	 * the installed config). */
	pthread_rwlock_rdlock(&c->cfg_lock);
	if (atomic_load_explicit(&gen_passes, memory_order_relaxed) != pass)
		ctl_gen_files(c, c->cfg);
	/* discovered MACs the inventory now has: hidden already, free their slots */
	disc_forget_known(&c->disc, c->cfg);
	pthread_rwlock_unlock(&c->cfg_lock);
	atomic_fetch_add(&c->reloads, 1);
}

void
cfg_watch_setup(struct cfg_watch *w, const struct cfg *cfg, const char *path)
{
	const char *files[65];
	size_t nf = 0;

	w->n = 0;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		LOG_WARN("serve", "inotify: %s (reload with SIGHUP only)", strerror(errno));
		return;
	}
	files[nf++] = path;
	for (size_t i = 0; i < cfg->n_files && nf < 64; i++)
		files[nf++] = cfg->files[i];
	for (size_t i = 0; i < nf; i++) {
		char *d = strdup(files[i]), *b = strdup(files[i]);

		/* watch the directory: editors and config management replace
		 * the file by rename, which a watch on the file would miss */
		if (d && b && inotify_add_watch(w->fd, dirname(d), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) >= 0 &&
		    w->n < 64)
			w->names[w->n++] = strdup(basename(b));
		free(d);
		free(b);
	}
}

bool
cfg_watch_changed(struct cfg_watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			for (size_t i = 0; ev->len && i < w->n; i++)
				if (w->names[i] && strcmp(ev->name, w->names[i]) == 0)
					hit = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return hit;
}

void
cfg_watch_close(struct cfg_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	for (size_t i = 0; i < w->n; i++)
		free(w->names[i]);
	w->n = 0;
}
