/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Importers: turn an existing dnsmasq.conf or ISC dhcpd.conf into a
 * bootstorm YAML config (the schema in TEAM.md / bootstorm.yaml(5)).
 *
 * Contract of both functions:
 *   - path is read (and only path: includes are reported, not followed);
 *   - the YAML goes to yaml_out, one line per "file:line: what: why" to
 *     report for every line that could not be translated (plus "note:"
 *     lines for guesses the operator must check);
 *   - returns 0 when the YAML was written, even with untranslated items,
 *     -errno when path could not be read or an output could not be written
 *     (-ENOMEM when memory ran out).
 * Neither function keeps state between calls; both are safe on any input.
 */
#ifndef BS_CONTROL_IMPORT_H
#define BS_CONTROL_IMPORT_H

#include <stdio.h>

int bs_import_dnsmasq(const char *path, FILE *yaml_out, FILE *report);
int bs_import_dhcpd(const char *path, FILE *yaml_out, FILE *report);

#endif
