/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/cfg_bootwarn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/cfg_pe.h"

#define BOOTWARN_MAX_FILE (64u << 20) /* larger is no loader or kernel we know */

struct bw {
	const struct cfg *c;
	cfg_warn_fn fn;
	void *arg;
	size_t n;
};

static void
warn(struct bw *w, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
warn(struct bw *w, const struct cfg_loc *loc, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->fn(w->arg, loc, msg);
	w->n++;
}

/* Inspects root/rel; false when it cannot be read (validation reports a
 * missing boot file; a missing kernel may live in the HTTP repo). */
static bool
inspect(const char *root, const char *rel, struct pe_info *pi)
{
	char path[4200];
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	int fd;

	if (!root || !rel)
		return false;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > BOOTWARN_MAX_FILE ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return false;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	pe_inspect(buf, off, pi);
	free(buf);
	return true;
}

static bool
exists(const char *root, const char *rel)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

/* Whether root/rel mentions bootstorm.cfg (an admin's grub.cfg that
 * sources bootstorm's dispatcher). */
static bool
sources_dispatch(const char *root, const char *rel)
{
	char path[4200], line[1024];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, "bootstorm.cfg") != NULL;
	fclose(f);
	return yes;
}

static void
check_grub(struct bw *w, const struct cfg_loc *loc, const char *ctx, const char *file,
	   const struct pe_info *pi)
{
	const char *dir = pi->prefix;
	char cfg[300];

	if (dir[0] == '(') /* "(tftp)/grub": the device part names no directory */
		dir = strchr(dir, ')') ? strchr(dir, ')') + 1 : "";
	if (!pi->prefix[0])
		return;
	while (dir[0] == '/')
		dir++;
	snprintf(cfg, sizeof(cfg), "%s%sgrub.cfg", dir, dir[0] ? "/" : "");
	if (strcmp(dir, "grub") == 0) {
		/* bootstorm writes grub/grub.cfg unless tftp.root has one */
		if (exists(w->c->tftp_root, cfg) && !sources_dispatch(w->c->tftp_root, cfg))
			warn(w, loc, "%s: GRUB '%s' reads tftp.root's own grub/grub.cfg, which does not `source /grub/bootstorm.cfg`: nodes never see their per-node config",
			     ctx, file);
		return;
	}
	if (!exists(w->c->tftp_root, cfg))
		warn(w, loc, "%s: GRUB '%s' reads its config from its built-in prefix '%s' and tftp.root has no %s; bootstorm writes the per-node configs under /grub (Debian's grubnetx64.efi.signed has that prefix)",
		     ctx, file, pi->prefix, cfg);
	else if (!sources_dispatch(w->c->tftp_root, cfg))
		warn(w, loc, "%s: GRUB '%s' reads tftp.root's %s (prefix '%s'), which does not `source /grub/bootstorm.cfg`: nodes never see their per-node config",
		     ctx, file, cfg, pi->prefix);
}

static const char *
grub_name(unsigned arch)
{
	/* shim's DEFAULT_LOADER per architecture (shim's Make.defaults) */
	const char *a = cfg_arch_name(arch);

	if (!a)
		return NULL;
	if (!strcmp(a, "efi-x64"))
		return "grubx64.efi";
	if (!strcmp(a, "efi-ia32"))
		return "grubia32.efi";
	if (!strcmp(a, "efi-arm64"))
		return "grubaa64.efi";
	return NULL;
}

/* One loader as a profile (p, or NULL for boot.files) uses it.  Returns
 * whether it is shim (the Secure Boot chain). */
static bool
check_loader(struct bw *w, const struct cfg_loc *loc, const char *ctx, unsigned arch,
	     const char *file)
{
	struct pe_info pi, gi;
	const char *gname = grub_name(arch);
	char next[4200];
	const char *slash;

	if (!gname || !file || strstr(file, "://") || !inspect(w->c->tftp_root, file, &pi))
		return false;
	if (pi.kind == PE_GRUB)
		check_grub(w, loc, ctx, file, &pi);
	if (pi.kind != PE_SHIM)
		return false;
	slash = strrchr(file, '/');
	snprintf(next, sizeof(next), "%.*s%s", slash ? (int)(slash - file + 1) : 0, file, gname);
	if (!inspect(w->c->tftp_root, next, &gi))
		warn(w, loc, "%s: shim '%s' loads %s from its own TFTP directory, and tftp.root has no %s (serve grubnetx64.efi.signed from grub-efi-amd64-signed under that name)",
		     ctx, file, gname, next);
	else if (gi.kind == PE_GRUB)
		check_grub(w, loc, ctx, next, &gi);
	return true;
}

static void
check_kernel(struct bw *w, const struct cfg_profile *p, const char *ctx)
{
	const struct cfg *c = w->c;
	struct pe_info ki;

	if (!p->kernel || strstr(p->kernel, "://"))
		return;
	if (!inspect(c->tftp_root, p->kernel, &ki) && !inspect(c->repo_root, p->kernel, &ki))
		return;
	if (!ki.is_pe)
		warn(w, &p->loc, "%s: boots through shim (Secure Boot) but kernel '%s' is no EFI image: shim's verifier refuses it",
		     ctx, p->kernel);
	else if (!ki.signed_)
		warn(w, &p->loc, "%s: boots through shim (Secure Boot) but kernel '%s' carries no signature: shim's verifier refuses it (Debian's linux-image-amd64 kernels are signed)",
		     ctx, p->kernel);
}

size_t
cfg_boot_warnings(const struct cfg *c, cfg_warn_fn fn, void *arg)
{
	struct bw w = { .c = c, .fn = fn, .arg = arg };
	struct cfg_loc top = { .file = c->path, .line = 0, .col = 0 };
	char ctx[160];

	if (!c->tftp_root)
		return 0;
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++) {
		snprintf(ctx, sizeof(ctx), "boot.files.%s", cfg_arch_name(a) ? cfg_arch_name(a) : "?");
		check_loader(&w, &top, ctx, a, c->boot_file[a]);
	}
	for (size_t i = 0; i < c->n_profiles; i++) {
		const struct cfg_profile *p = &c->profiles[i];
		bool shim = false;

		for (unsigned a = 0; a < SNAP_ARCH_MAX; a++) {
			/* boot.files' own loaders were checked above; a profile's
			 * kernel is checked against whichever one it boots through */
			snprintf(ctx, sizeof(ctx), "profile %s: files.%s", p->name ? p->name : "?",
				 cfg_arch_name(a) ? cfg_arch_name(a) : "?");
			if (p->boot_file[a])
				shim |= check_loader(&w, &p->loc, ctx, a, p->boot_file[a]);
			else if (c->boot_file[a] && grub_name(a)) {
				struct pe_info pi;

				shim |= inspect(c->tftp_root, c->boot_file[a], &pi) && pi.kind == PE_SHIM;
			}
		}
		snprintf(ctx, sizeof(ctx), "profile %s", p->name ? p->name : "?");
		if (shim)
			check_kernel(&w, p, ctx);
	}
	return w.n;
}
