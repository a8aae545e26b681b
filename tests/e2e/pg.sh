# shellcheck shell=bash
# A throw-away PostgreSQL 15 cluster for the fleet tests (sourced): data
# directory and unix socket under the caller's directory, no TCP listener,
# never a system service.  initdb refuses root, so the cluster runs as the
# Debian `postgres` user (or nobody) with trust authentication on its
# private socket.
#   pg_setup DIR   initdb into DIR/pg (socket DIR/pgsock); sets PG_CONNINFO
#   pg_up / pg_down   start / stop (fast shutdown) the server
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-5499}
PG_DIR=
PG_USER=
PG_CONNINFO=

pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

pg_setup() { # dir
	[ -x "$PG_BIN/initdb" ] || { echo "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"; exit 77; }
	PG_DIR=$1
	PG_USER=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		if id postgres >/dev/null 2>&1; then PG_USER=postgres; else PG_USER=nobody; fi
	fi
	mkdir -p "$PG_DIR/pg" "$PG_DIR/pgsock"
	[ "$(id -u)" -ne 0 ] || chown "$PG_USER" "$PG_DIR/pg" "$PG_DIR/pgsock"
	chmod 700 "$PG_DIR/pg"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/pg" -A trust -U postgres --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ echo "initdb failed: $(tail -3 "$PG_DIR/initdb.log")"; return 1; }
	PG_CONNINFO="host=$PG_DIR/pgsock port=$PG_PORT dbname=postgres user=postgres"
}

pg_up() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -l "$PG_DIR/pg/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR/pgsock' -p $PG_PORT -c fsync=${PG_FSYNC:-off}" \
		start >/dev/null || { echo "pg_ctl start failed: $(tail -5 "$PG_DIR/pg/server.log")"; return 1; }
}

pg_down() {
	[ -n "$PG_DIR" ] && [ -e "$PG_DIR/pg/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/pg" -m fast -w -t 30 stop >/dev/null 2>&1
}

# psql against the cluster: pg_sql 'SELECT ...' prints unaligned, tuples only.
pg_sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_CONNINFO" -c "$1"; }
