/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The database commands of fleet mode (fleet.h): connection, migrations,
 * status, inventory import.
 */
#include "control/fleet/fleet.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/exit.h"
#include "control/daemon/ctl.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_pure.h"
#include "util/bs_secret.h"
#include "util/bs_time.h"

/* pg_advisory_lock key of `db migrate`: "bsfl" */
#define MIGRATE_LOCK "1651730028"
#define CONNINFO_MAX 4096

const char *
fleet_server_name(const struct cfg *cfg)
{
	return cfg->fleet_server_name && cfg->fleet_server_name[0] ? cfg->fleet_server_name
								     : cfg->name;
}

static char *
read_secret(const char *path, char *err, size_t err_cap)
{
	int fd = bs_secret_open(path);
	char *buf;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, err_cap, "%s: %s%s", path, strerror(-fd),
			 fd == -EPERM ? " (must be a regular file readable by its owner only, owned by root or us)" : "");
		return NULL;
	}
	buf = malloc(CONNINFO_MAX);
	n = buf ? read(fd, buf, CONNINFO_MAX - 1) : -1;
	close(fd);
	if (n <= 0) {
		snprintf(err, err_cap, "%s: %s", path, n == 0 ? "empty" : strerror(errno));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

char *
fleet_conninfo(const struct cfg *cfg, char *err, size_t err_cap)
{
	char *s;

	if (!cfg->fleet_database) {
		snprintf(err, err_cap, "fleet.database is not set");
		return NULL;
	}
	if (cfg->fleet_database[0] == '/')
		return read_secret(cfg->fleet_database, err, err_cap);
	s = strdup(cfg->fleet_database);
	if (!s)
		snprintf(err, err_cap, "out of memory");
	return s;
}

PGconn *
fleet_connect(const struct cfg *cfg, char *err, size_t err_cap)
{
	char *ci = fleet_conninfo(cfg, err, err_cap);

	return ci ? fleet_connect_ci(ci, err, err_cap) : NULL;
}

/* NOTICEs ("already exists, skipping") are not for the admin's terminal. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg, (void)msg;
}

PGconn *
fleet_connect_ci(char *ci, char *err, size_t err_cap)
{
	/* A dead peer must not hang the shipper (or serve's shutdown) for the
	 * kernel's 15 minutes of TCP retransmissions: keepalives, a TCP user
	 * timeout and a statement timeout bound every call. */
	static const char *const keys[] = { "connect_timeout", "application_name",
					    "keepalives_idle", "keepalives_interval",
					    "keepalives_count", "tcp_user_timeout", "options",
					    "dbname", NULL };
	const char *vals[] = { "5", "bootstorm", "10", "3", "3", "20000",
			       "-c statement_timeout=60000", ci, NULL };
	PGconn *db;

	/* expand_dbname: the last value is the whole conninfo, expanded after
	 * the defaults above, so whatever it says wins (libpq keeps the last
	 * value of a repeated key word) */
	db = PQconnectdbParams(keys, vals, 1);
	memset(ci, 0, strlen(ci)); /* may hold a password */
	free(ci);
	if (!db) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	if (PQstatus(db) != CONNECTION_OK) {
		fleet_pg_error(db, err, err_cap);
		PQfinish(db);
		return NULL;
	}
	PQsetNoticeProcessor(db, quiet, NULL);
	return db;
}

void
fleet_nap(_Atomic bool *stop, uint32_t ms)
{
	for (uint32_t t = 0; t < ms && !atomic_load_explicit(stop, memory_order_acquire); t += 50)
		usleep(50000);
}

const char *
fleet_pg_error(PGconn *db, char *err, size_t err_cap)
{
	snprintf(err, err_cap, "%s", db ? PQerrorMessage(db) : "no connection");
	err[strcspn(err, "\n")] = '\0';
	return err;
}

bool
fleet_exec(PGconn *db, const char *sql, char *err, size_t err_cap)
{
	PGresult *r = PQexec(db, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		fleet_pg_error(db, err, err_cap);
	}
	PQclear(r);
	return ok;
}

int
fleet_schema_version(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT COALESCE(max(version), 0) FROM schema_version");
	int v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atoi(PQgetvalue(r, 0, 0));
	else if (PQresultErrorField(r, PG_DIAG_SQLSTATE) &&
		 strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42P01") == 0)
		v = 0; /* undefined_table: never initialised */
	PQclear(r);
	return v;
}

/* One migration in its own transaction, skipped when already recorded. */
static int
apply_one(PGconn *db, const struct fleet_migration *m, char *err, size_t err_cap)
{
	char ver[16];
	const char *params[2] = { ver, m->name };
	PGresult *r;
	bool have;

	snprintf(ver, sizeof(ver), "%d", m->version);
	if (!fleet_exec(db, "BEGIN", err, err_cap))
		return -1;
	r = PQexecParams(db, "SELECT 1 FROM schema_version WHERE version = $1", 1, NULL, params,
			 NULL, NULL, 0);
	have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	if (have)
		return fleet_exec(db, "COMMIT", err, err_cap) ? 0 : -1;
	if (!fleet_exec(db, m->sql, err, err_cap))
		goto fail;
	r = PQexecParams(db, "INSERT INTO schema_version (version, name) VALUES ($1, $2)", 2, NULL,
			 params, NULL, NULL, 0);
	have = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!have)
		fleet_pg_error(db, err, err_cap);
	PQclear(r);
	if (!have || !fleet_exec(db, "COMMIT", err, err_cap))
		goto fail;
	return 1;
fail:
	PQclear(PQexec(db, "ROLLBACK"));
	return -1;
}

int
fleet_migrate_conn(PGconn *db, char *err, size_t err_cap)
{
	size_t bad = fleet_migrations_check(fleet_migrations, fleet_n_migrations);
	int applied = 0, rc = 0;

	if (bad) {
		snprintf(err, err_cap, "migration table broken at row %zu", bad - 1);
		return -1;
	}
	/* one migrator at a time across the fleet; session lock, released below */
	if (!fleet_exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err, err_cap))
		return -1;
	if (!fleet_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied timestamptz NOT NULL DEFAULT now())",
			err, err_cap))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < fleet_n_migrations; i++) {
		int one = apply_one(db, &fleet_migrations[i], err, err_cap);

		if (one < 0)
			rc = -1;
		else
			applied += one;
	}
	PQclear(PQexec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")"));
	return rc < 0 ? -1 : applied;
}

int
fleet_db_migrate(const struct cfg *cfg, FILE *out)
{
	char err[512];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	int n, v;

	if (!db) {
		fprintf(stderr, "bootstorm db: %s\n", err);
		return EXIT_RUNTIME;
	}
	n = fleet_migrate_conn(db, err, sizeof(err));
	v = fleet_schema_version(db);
	PQfinish(db);
	if (n < 0) {
		fprintf(stderr, "bootstorm db: migrate: %s\n", err);
		return EXIT_RUNTIME;
	}
	fprintf(out, "schema version %d (%d migration%s applied, this binary knows %zu)\n", v, n,
		n == 1 ? "" : "s", fleet_n_migrations);
	if (v > (int)fleet_n_migrations)
		fprintf(stderr, "bootstorm db: the database is newer than this binary\n");
	return EXIT_OK;
}

static void
print_counts(PGconn *db, const char *what, const char *sql, FILE *out)
{
	PGresult *r = PQexec(db, sql);

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		fprintf(out, "%-10s %s\n", what, PQgetvalue(r, 0, 0));
	PQclear(r);
}

int
fleet_db_status(const struct cfg *cfg, FILE *out)
{
	char err[512];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	int v;

	if (!db) {
		fprintf(stderr, "bootstorm db: %s\n", err);
		fprintf(out, "database   unreachable\n");
		return EXIT_RUNTIME;
	}
	v = fleet_schema_version(db);
	fprintf(out, "database   reachable (server %d)\n", PQserverVersion(db));
	fprintf(out, "schema     version %d of %zu%s\n", v, fleet_n_migrations,
		v < (int)fleet_n_migrations ? " (run: bootstorm db migrate)" : "");
	if (v > 0) {
		print_counts(db, "servers", "SELECT count(*) FROM servers", out);
		print_counts(db, "nodes", "SELECT count(*) FROM nodes", out);
		print_counts(db, "leases", "SELECT count(*) FROM leases", out);
		print_counts(db, "states", "SELECT count(*) FROM node_state", out);
	}
	PQfinish(db);
	return v == (int)fleet_n_migrations ? EXIT_OK : EXIT_RUNTIME;
}

enum { IC_NAME, IC_MAC, IC_IP, IC_PROFILE, IC_BMC, IC_MAX };

int
fleet_db_import(const struct cfg *cfg, FILE *out)
{
	static const char sql[] =
		"INSERT INTO nodes (name, mac, ip, profile, bmc, server) "
		"SELECT u.name, u.mac, u.ip, u.profile, u.bmc, $1 "
		"FROM unnest($2::text[], $3::macaddr[], $4::inet[], $5::text[], $6::text[]) "
		" AS u(name, mac, ip, profile, bmc) "
		"ON CONFLICT (name) DO UPDATE SET mac = excluded.mac, ip = excluded.ip, "
		" profile = excluded.profile, bmc = excluded.bmc, server = excluded.server, "
		" updated = now() "
		"WHERE (nodes.mac, nodes.ip, nodes.profile, nodes.bmc, nodes.server) IS DISTINCT FROM "
		" (excluded.mac, excluded.ip, excluded.profile, excluded.bmc, excluded.server)";
	struct fleet_arr col[IC_MAX] = { 0 };
	const char *params[1 + IC_MAX] = { fleet_server_name(cfg) };
	uint64_t t0 = bs_mono_ns();
	char err[512], mac[18], ip[16];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	PGresult *r;
	bool ok = true;

	if (!db) {
		fprintf(stderr, "bootstorm db: %s\n", err);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const struct cfg_node *n = &cfg->nodes[i];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", n->ip >> 24, (n->ip >> 16) & 255,
			 (n->ip >> 8) & 255, n->ip & 255);
		fleet_arr_add(&col[IC_NAME], n->name);
		fleet_arr_add(&col[IC_MAC], mac);
		fleet_arr_add(&col[IC_IP], n->has_ip ? ip : NULL);
		fleet_arr_add(&col[IC_PROFILE], n->profile);
		fleet_arr_add(&col[IC_BMC], n->bmc);
	}
	for (unsigned c = 0; c < IC_MAX; c++)
		ok &= (params[1 + c] = fleet_arr_done(&col[c])) != NULL;
	/* one statement, one transaction: set-based, no per-node round trip */
	r = ok ? PQexecParams(db, sql, 1 + IC_MAX, NULL, params, NULL, NULL, 0) : NULL;
	ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (ok)
		fprintf(out, "imported %zu nodes (%s new or changed) in %.3f s\n", cfg->n_nodes,
			PQcmdTuples(r), (double)(bs_mono_ns() - t0) / 1e9);
	else
		fprintf(stderr, "bootstorm db: import: %s\n", r ? PQerrorMessage(db) : "out of memory");
	PQclear(r);
	for (unsigned c = 0; c < IC_MAX; c++)
		fleet_arr_free(&col[c]);
	PQfinish(db);
	return ok ? EXIT_OK : EXIT_RUNTIME;
}

PGconn *
fleet_api_connect(struct ctl *c, unsigned *deadline_s, char *msg, size_t cap)
{
	char *ci;

	pthread_rwlock_rdlock(&c->cfg_lock);
	ci = c->cfg->fleet_database ? fleet_conninfo(c->cfg, msg, cap) : NULL;
	if (!c->cfg->fleet_database)
		snprintf(msg, cap, "fleet mode is not configured (fleet.database)");
	if (deadline_s)
		*deadline_s = c->cfg->fleet_deadline_s;
	pthread_rwlock_unlock(&c->cfg_lock);
	return ci ? fleet_connect_ci(ci, msg, cap) : NULL;
}

const char *
fleet_jstr_or(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : dflt;
}
