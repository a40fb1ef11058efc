#!/usr/bin/env bash
# Real database servers for Marid's integration tests, on loopback only.
#
#   scripts/test-services.sh start    install what is missing, start what is down
#   scripts/test-services.sh stop     stop what this script started (by PID)
#   scripts/test-services.sh status   print what is up
#
# Idempotent: `start` with everything up takes well under a second. Made for a
# fresh Debian 12 machine as root (CI) as much as for a developer's machine.
#
# Services and what the tests get:
#   postgresql  PostgreSQL 15 cluster "15 main" on 127.0.0.1:5432;
#               role marid/marid (CREATEDB), database marid_test owned by it.
#   mariadb     mariadbd on 127.0.0.1:3306; users 'marid'@'127.0.0.1' and
#               'marid'@'localhost' (password marid) with every privilege on
#               the marid_test% databases; database marid_test (utf8mb4).
#   redis       not yet: see the "redis" section below.
#
# Servers only ever bind 127.0.0.1: tests must never send a packet elsewhere.
# The PIDs of the servers this script started are kept in $STATE_DIR, so `stop`
# stops those and nothing else.
set -euo pipefail

STATE_DIR=${MARID_TEST_SERVICES_DIR:-/run/marid-test-services}
SERVICES=(postgresql mariadb)  # add "redis" here once its section exists

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
PG_DATA=/var/lib/postgresql/$PG_VERSION/$PG_CLUSTER

MARIADB_PORT=3306
MARIADB_DATA=/var/lib/mysql
MARIADB_RUN=/run/mysqld
MARIADB_PIDFILE=$MARIADB_RUN/mysqld.pid
MARIADB_SOCKET=$MARIADB_RUN/mysqld.sock

DB_USER=marid
DB_PASSWORD=marid
DB_NAME=marid_test

# -- helpers -------------------------------------------------------------------

say() { printf 'test-services: %s\n' "$*"; }
die() { printf 'test-services: error: %s\n' "$*" >&2; exit 1; }

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts system daemons)"
}

APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

# pid_alive PID NAME: true when PID runs a program whose name starts with NAME.
pid_alive() {
    local pid=$1 name=$2 comm
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name"* ]]
}

# stop_pid SERVICE PROCNAME SIGNAL: stop the PID recorded for SERVICE, wait for it to exit.
stop_pid() {
    local service=$1 name=$2 signal=$3 file="$STATE_DIR/$1.pid" pid
    if [[ ! -f $file ]]; then
        say "$service: not started by this script; leaving it alone"
        return 0
    fi
    pid=$(<"$file")
    if pid_alive "$pid" "$name"; then
        say "$service: stopping PID $pid"
        kill "-$signal" "$pid"
        for _ in $(seq 1 300); do
            pid_alive "$pid" "$name" || break
            sleep 0.1
        done
        pid_alive "$pid" "$name" && die "$service: PID $pid still running after 30 s"
    else
        say "$service: PID $pid already gone"
    fi
    rm -f "$file"
}

record_pid() { mkdir -p "$STATE_DIR"; printf '%s\n' "$2" >"$STATE_DIR/$1.pid"; }

# -- postgresql ----------------------------------------------------------------

pg_psql() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

pg_running() { [[ -f $PG_DATA/postmaster.pid ]] && pid_alive "$(head -n1 "$PG_DATA/postmaster.pid")" postgres; }

pg_answers() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 1; }

# The cluster's settings for the tests, in a drop-in that postgresql.conf includes
# last (Debian's include_dir = 'conf.d'). Loopback only; durability is worthless
# for throw-away test data.
pg_write_settings() {
    local file=/etc/postgresql/$PG_VERSION/$PG_CLUSTER/conf.d/marid-test-services.conf wanted
    wanted="# Written by Marid's scripts/test-services.sh.
listen_addresses = '127.0.0.1'
port = $PG_PORT
fsync = off
synchronous_commit = off
full_page_writes = off"
    if [[ ! -f $file || $(<"$file") != "$wanted" ]]; then
        printf '%s\n' "$wanted" >"$file"
        echo changed
    fi
}

postgresql_start() {
    if [[ ! -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || ! command -v pg_ctlcluster >/dev/null; then
        apt_install "postgresql-$PG_VERSION" postgresql-client-common
    fi
    if [[ ! -d /etc/postgresql/$PG_VERSION/$PG_CLUSTER ]]; then
        say "postgresql: creating cluster $PG_VERSION $PG_CLUSTER"
        pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
    fi

    local changed
    changed=$(pg_write_settings)

    if pg_running; then
        if [[ -n $changed ]] || ! pg_answers; then
            say "postgresql: restarting to apply its settings"
            pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart \
                || die "postgresql: restart failed; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
            # Still ours to stop only if this script had started it.
            if [[ -f $STATE_DIR/postgresql.pid ]]; then
                record_pid postgresql "$(head -n1 "$PG_DATA/postmaster.pid")"
            fi
        fi
    else
        say "postgresql: starting cluster $PG_VERSION $PG_CLUSTER"
        install -d -o postgres -g postgres /run/postgresql
        pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start \
            || die "postgresql: start failed; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
        record_pid postgresql "$(head -n1 "$PG_DATA/postmaster.pid")"
    fi
    for _ in $(seq 1 100); do pg_answers && break; sleep 0.1; done
    pg_answers || die "postgresql: does not answer on 127.0.0.1:$PG_PORT"

    pg_psql -d postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')
\gexec
SQL
    say "postgresql: up on 127.0.0.1:$PG_PORT (database $DB_NAME, user $DB_USER)"
}

postgresql_stop() { stop_pid postgresql postgres INT; }  # SIGINT: fast shutdown

postgresql_status() {
    if pg_answers 2>/dev/null; then
        say "postgresql: up on 127.0.0.1:$PG_PORT"
    else
        say "postgresql: down"
        return 1
    fi
}

# -- mariadb -------------------------------------------------------------------

mariadb_answers() { mariadb-admin --socket="$MARIADB_SOCKET" --connect-timeout=1 ping >/dev/null 2>&1; }

mariadb_tcp_answers() {
    mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" -u "$DB_USER" -p"$DB_PASSWORD" \
        --connect-timeout=1 ping >/dev/null 2>&1
}

mariadb_start() {
    if ! command -v mariadbd >/dev/null || ! command -v mariadb-admin >/dev/null; then
        apt_install mariadb-server mariadb-client
    fi
    install -d -o mysql -g mysql "$MARIADB_RUN"

    if ! mariadb_answers; then
        if [[ ! -d $MARIADB_DATA/mysql ]]; then
            say "mariadb: initialising $MARIADB_DATA"
            mariadb-install-db --user=mysql --datadir="$MARIADB_DATA" --skip-test-db \
                >"$STATE_DIR/mariadb-install.log" 2>&1 \
                || die "mariadb: mariadb-install-db failed; see $STATE_DIR/mariadb-install.log"
        fi
        say "mariadb: starting mariadbd"
        # setsid: the server outlives the shell (and process group) that started it.
        setsid mariadbd --user=mysql --datadir="$MARIADB_DATA" --bind-address=127.0.0.1 \
            --port="$MARIADB_PORT" --socket="$MARIADB_SOCKET" --pid-file="$MARIADB_PIDFILE" \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
            --innodb-flush-log-at-trx-commit=2 --skip-name-resolve \
            >>"$STATE_DIR/mariadb.log" 2>&1 </dev/null &
        local launched=$!
        for _ in $(seq 1 300); do
            mariadb_answers && break
            pid_alive "$launched" mariadbd || die "mariadb: mariadbd exited; see $STATE_DIR/mariadb.log"
            sleep 0.1
        done
        mariadb_answers || die "mariadb: no answer after 30 s; see $STATE_DIR/mariadb.log"
        record_pid mariadb "$(<"$MARIADB_PIDFILE")"
    fi

    # Root logs in through the socket (unix_socket authentication, Debian's default).
    mariadb --socket="$MARIADB_SOCKET" -u root <<SQL || die "mariadb: creating user and database failed"
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`${DB_NAME//_/\\_}%\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB_NAME//_/\\_}%\`.* TO '$DB_USER'@'localhost';
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
    mariadb_tcp_answers || die "mariadb: running, but $DB_USER cannot log in on 127.0.0.1:$MARIADB_PORT"
    say "mariadb: up on 127.0.0.1:$MARIADB_PORT (database $DB_NAME, user $DB_USER)"
}

mariadb_stop() { stop_pid mariadb mariadbd TERM; }

mariadb_status() {
    if command -v mariadb-admin >/dev/null && mariadb_tcp_answers; then
        say "mariadb: up on 127.0.0.1:$MARIADB_PORT"
    else
        say "mariadb: down"
        return 1
    fi
}

# -- redis ---------------------------------------------------------------------
# Not installed yet (the multi-master MQ comes in a later issue). When it does:
#   redis_start:  apt_install redis-server if missing; redis-server --daemonize yes
#                 --bind 127.0.0.1 --port 6379 --save '' --appendonly no
#                 --pidfile "$STATE_DIR/redis-server.pid"; record_pid redis ...
#   redis_stop:   stop_pid redis redis-server TERM
#   redis_status: redis-cli -h 127.0.0.1 -p 6379 ping
# and add "redis" to SERVICES at the top.

# -- main ----------------------------------------------------------------------

main() {
    local action=${1:-}
    case $action in
        start)
            need_root
            mkdir -p "$STATE_DIR"
            for service in "${SERVICES[@]}"; do "${service}_start"; done
            ;;
        stop)
            need_root
            for service in "${SERVICES[@]}"; do "${service}_stop"; done
            ;;
        status)
            local rc=0
            for service in "${SERVICES[@]}"; do "${service}_status" || rc=1; done
            return $rc
            ;;
        *)
            echo "usage: $0 start|stop|status" >&2
            exit 2
            ;;
    esac
}

main "$@"
