#!/usr/bin/env bash
# Test services for fasthub's integration tests: PostgreSQL, Redis and MariaDB from Debian's packages,
# each a private instance bound to 127.0.0.1 only, on its own port, with its data under $FASTHUB_SERVICES_DIR.
#
#   scripts/services.sh start   install what is missing (apt-get, as root), start what is not running,
#                               create the test database/user, and print `export NAME=value` lines on
#                               stdout for the tests (progress goes to stderr):  eval "$(scripts/services.sh start)"
#   scripts/services.sh stop    stop them, unless another live `start` caller still uses them
#   scripts/services.sh env     print the export lines only
#
# Idempotent and quick once installed (about two seconds). Each `start` leaves a token named after its
# caller's process (the shell running `make test`); `stop` removes that token and stops the services only
# when no token of a live process remains, so two `make test` runs at once do not stop each other's.
# PostgreSQL and MariaDB refuse to run as root: their servers run as the postgres / mysql users on
# private data directories (initdb / mariadb-install-db), never touching the system's default clusters.
set -uo pipefail

DIR=${FASTHUB_SERVICES_DIR:-/var/tmp/fasthub-services}
PG_PORT=${FASTHUB_PG_PORT:-54329}
REDIS_PORT=${FASTHUB_REDIS_PORT:-63799}
MYSQL_PORT=${FASTHUB_MYSQL_PORT:-33069}
DB=fasthub_test
USER_=fasthub
PASS=fasthub

log() { echo "services: $*" >&2; }

exports() {
    echo "export FASTHUB_TEST_PG_DSN=postgresql://$USER_:$PASS@127.0.0.1:$PG_PORT/$DB"
    echo "export FASTHUB_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export FASTHUB_TEST_MYSQL_URL=mysql://$USER_:$PASS@127.0.0.1:$MYSQL_PORT/$DB"
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
    local missing=() pkg
    for pkg in postgresql redis-server mariadb-server; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]} (apt-get)"
    # policy-rc.d 101 stops the packages' own init scripts from starting system-wide instances.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee $policy >/dev/null && as_root chmod 755 $policy
        created_policy=1
    fi
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
    local rc=$?
    [ $created_policy -eq 1 ] && as_root rm -f $policy
    return $rc
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # port seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
    return 1
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

start_pg() {
    local bin data=$DIR/pg
    bin=$(pg_bin)
    [ -n "$bin" ] || { log "PostgreSQL binaries not found"; return 1; }
    if [ ! -f "$data/PG_VERSION" ]; then
        log "creating PostgreSQL data directory $data"
        rm -rf "$data" && mkdir -p "$data" && chown postgres: "$data" && chmod 700 "$data"
        runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 --no-sync >"$DIR/pg-initdb.log" 2>&1 \
            || { log "initdb failed, see $DIR/pg-initdb.log"; return 1; }
    fi
    if ! runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        runuser -u postgres -- "$bin/pg_ctl" -D "$data" -w -t 30 -l "$data/server.log" start \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $data -c fsync=off -c max_connections=300 -c shared_buffers=32MB" \
            >/dev/null || { log "PostgreSQL did not start, see $data/server.log"; return 1; }
    fi
    local psql=("$bin/psql" -h "$data" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtAX)
    if [ "$(runuser -u postgres -- "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$USER_'")" != 1 ]; then
        runuser -u postgres -- "${psql[@]}" -d postgres -c "CREATE ROLE $USER_ LOGIN PASSWORD '$PASS'" >/dev/null || return 1
    fi
    if [ "$(runuser -u postgres -- "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
        runuser -u postgres -- "${psql[@]}" -d postgres -c "CREATE DATABASE $DB OWNER $USER_" >/dev/null || return 1
    fi
}

stop_pg() {
    local bin; bin=$(pg_bin)
    [ -n "$bin" ] && [ -f "$DIR/pg/PG_VERSION" ] || return 0
    runuser -u postgres -- "$bin/pg_ctl" -D "$DIR/pg" -w -t 30 -m fast stop >/dev/null 2>&1 || true
}

start_redis() {
    port_open "$REDIS_PORT" && return 0
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --daemonize yes \
        --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" --save '' --appendonly no \
        >/dev/null || { log "redis-server did not start, see $DIR/redis.log"; return 1; }
    wait_port "$REDIS_PORT" 10 || { log "redis-server is not listening, see $DIR/redis.log"; return 1; }
}

stop_redis() {
    [ -f "$DIR/redis.pid" ] || return 0
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$DIR/redis.pid")" 2>/dev/null
    rm -f "$DIR/redis.pid"
}

start_mysql() {
    local data=$DIR/mysql run=$DIR/mysql-run sock=$DIR/mysql-run/mysql.sock
    mkdir -p "$run" && chown mysql: "$run"
    if [ ! -d "$data/mysql" ]; then
        log "creating MariaDB data directory $data"
        rm -rf "$data" && mkdir -p "$data" && chown mysql: "$data"
        mariadb-install-db --user=mysql --datadir="$data" --auth-root-authentication-method=socket \
            --skip-test-db >"$DIR/mysql-install.log" 2>&1 \
            || { log "mariadb-install-db failed, see $DIR/mysql-install.log"; return 1; }
    fi
    if ! port_open "$MYSQL_PORT"; then
        setsid mariadbd --no-defaults --user=mysql --datadir="$data" --bind-address=127.0.0.1 \
            --port="$MYSQL_PORT" --socket="$sock" --pid-file="$run/mysql.pid" \
            --log-error="$run/server.log" --innodb-buffer-pool-size=32M --performance-schema=OFF \
            --skip-name-resolve --max-connections=300 </dev/null >/dev/null 2>&1 &
        wait_port "$MYSQL_PORT" 30 || { log "MariaDB did not start, see $run/server.log"; return 1; }
    fi
    mariadb --no-defaults -S "$sock" -u root -e "
        CREATE DATABASE IF NOT EXISTS $DB;
        CREATE USER IF NOT EXISTS '$USER_'@'127.0.0.1' IDENTIFIED BY '$PASS';
        GRANT ALL ON $DB.* TO '$USER_'@'127.0.0.1';" \
        || { log "MariaDB: cannot create the test user"; return 1; }
}

stop_mysql() {
    [ -f "$DIR/mysql-run/mysql.pid" ] || return 0
    local pid i; pid=$(cat "$DIR/mysql-run/mysql.pid")
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

live_tokens() {
    local t n=0
    for t in "$DIR"/users/*; do
        [ -e "$t" ] || continue
        if kill -0 "${t##*/}" 2>/dev/null; then n=$((n + 1)); else rm -f "$t"; fi
    done
    echo $n
}

cmd=${1:-}
token=${FASTHUB_SERVICES_TOKEN:-$PPID}
case "$cmd" in
    start)
        mkdir -p "$DIR/users" && chmod 755 "$DIR"
        install_missing || log "could not install the service packages (postgresql, redis-server, mariadb-server): the tests needing them will FAIL, naming the service"
        rc=0
        start_pg || rc=1
        start_redis || rc=1
        start_mysql || rc=1
        touch "$DIR/users/$token"
        exports
        [ $rc -eq 0 ] && log "PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, MariaDB :$MYSQL_PORT on 127.0.0.1"
        exit $rc
        ;;
    stop)
        rm -f "$DIR/users/$token"
        if [ "$(live_tokens)" -gt 0 ]; then
            log "still used by another test run; left running"
            exit 0
        fi
        stop_pg; stop_redis; stop_mysql
        exit 0
        ;;
    env)
        exports
        ;;
    *)
        echo "usage: $0 start|stop|env" >&2
        exit 2
        ;;
esac
