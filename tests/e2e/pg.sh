# shellcheck shell=bash
# A throw-away PostgreSQL 15 cluster for the fleet tests (sourced): data
# directory and unix socket under the caller's directory, no TCP listener,
# never a system service.  initdb refuses root, so the cluster runs as the
# Debian `postgres` user (or nobody) with trust authentication on its
# private socket.
#   pg_need        NOT RUN (exit 77) where PostgreSQL 15 is not installed
#   pg_setup DIR   initdb into DIR/pg (socket DIR/pgsock); sets PG_CONNINFO
#   pg_up / pg_down   start / stop (fast shutdown) the server
#   pg_start DIR   pg_setup + pg_up
#   pg_conninfo_file FILE   PG_CONNINFO into FILE, mode 0600 (a conninfo
#                  lives in a root-only file, util/bs_secret.h, never in YAML)
# For the fleet e2e tests, after lib.sh (they use its in_srv, spawn, fail):
#   fleet_yaml CONNINFO_FILE ['key: value'...]   appends `fleet:` (enabled,
#                  database, then the lines given) to $CONF
#   fleet_f EXPR   a python expression over f = GET /api/status ["fleet"]
#   fleet_reachable, fleet_unreachable, fleet_backlog, fleet_drained
#   wait_for T WHAT CMD...   runs CMD every 0.3 s until it succeeds, else
#                  fails "timed out (WHAT)" after T s
#   ctl_kill9_restart LOG    kill -9 control ($CTL_PID), start it again
#                  (serve --foreground, output to LOG), wait for its HTTP
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-5499}
PG_DIR=
PG_USER=
PG_CONNINFO=

pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

pg_need() {
	[ -x "$PG_BIN/initdb" ] || { echo "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"; exit 77; }
}

pg_setup() { # dir
	pg_need
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

pg_start() { pg_setup "$1" && pg_up; }

pg_conninfo_file() { # file
	printf '%s\n' "$PG_CONNINFO" >"$1"
	chmod 600 "$1"
}

# ---- fleet e2e helpers (after lib.sh) ---------------------------------------

fleet_yaml() { # conninfo_file ['key: value'...]
	local kv
	{
		echo "fleet:"
		echo "  enabled: true"
		echo "  database: $1"
		shift
		for kv; do echo "  $kv"; done
	} >>"$CONF"
}

fleet_f() { in_srv curl -s -m 5 "$HTTP/api/status" | python3 -c "import json,sys; f=json.load(sys.stdin)['fleet']; print($1)"; }
fleet_reachable() { [ "$(fleet_f 'f["database"]')" = reachable ]; }
fleet_unreachable() { [ "$(fleet_f 'f["database"]')" = unreachable ]; }
fleet_backlog() { fleet_f 'f["backlog"]'; }
fleet_drained() { [ "$(fleet_backlog)" = 0 ] && fleet_reachable; }

wait_for() { # timeout_s description command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.3
	done
	fail "timed out ($what)"
}

ctl_kill9_restart() { # log
	kill -9 "$CTL_PID"
	wait "$CTL_PID" 2>/dev/null
	spawn "$1" ip netns exec "$SRV" "$BS_BUILD/control/bootstorm" serve -c "$CONF" --foreground
	CTL_PID=$LAST_PID
	wait_http "$HTTP/" 30 || fail "control did not come back: $(tail -5 "$1")"
}
