/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The BMC URL syntax (conf/cfg_bmc.h).  Hosts are RFC 1123 names or IPv4
 * literals; userinfo ("user:pass@") is refused so that a password never
 * lands in the YAML.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_bmc.h"

static bool
host_ok(const char *h, size_t n)
{
	/* RFC 1123 section 2.1: labels of letters, digits and hyphens. */
	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.' || h[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
		if (!ok || (ch == '.' && h[i + 1] == '.'))
			return false;
	}
	return true;
}

static bool
id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	return true;
}

int
cfgp_bmc_url(const char *s, struct bmc_addr *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	const char *p;
	if (!strncmp(s, "ipmi://", 7)) {
		out->proto = BMC_IPMI;
		out->port = 623;
		p = s + 7;
	} else if (!strncmp(s, "redfish://", 10)) {
		out->proto = BMC_REDFISH;
		out->port = 443;
		p = s + 10;
	} else {
		*why = "expected ipmi://host[:port] or redfish://host[:port][/system-id]";
		return -EINVAL;
	}
	size_t hl = strcspn(p, ":/@");
	if (p[hl] == '@' || strchr(p, '@')) {
		*why = "credentials do not belong in the URL (use power.credentials_file)";
		return -EINVAL;
	}
	if (!host_ok(p, hl)) {
		*why = "bad host name";
		return -EINVAL;
	}
	memcpy(out->host, p, hl);
	p += hl;
	if (*p == ':') {
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		if (end == p + 1 || v == 0 || v > 65535 || (*end && *end != '/')) {
			*why = "bad port";
			return -EINVAL;
		}
		out->port = (uint16_t)v;
		p = end;
	}
	if (*p == '/') {
		if (out->proto != BMC_REDFISH || !id_ok(p + 1)) {
			*why = out->proto == BMC_REDFISH ? "bad system id" :
							   "ipmi:// takes no path";
			return -EINVAL;
		}
		strcpy(out->system_id, p + 1);
	} else if (*p) {
		*why = "trailing characters";
		return -EINVAL;
	}
	return 0;
}
