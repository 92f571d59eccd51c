#!/usr/bin/env bash
# A throw-away PostgreSQL for the ledger tests (issue 18). Source it, then:
#   pg_start   initdb into a temp dir, start on a free loopback port, export RSSPOT_TEST_PG_URL
#   pg_stop    stop it and remove the dir (safe to call twice; .ci/run traps EXIT with it)
# It installs Debian's `postgresql` when initdb is missing, runs the server as the `postgres`
# user when we are root (PostgreSQL refuses to run as root), and FAILS when the server cannot
# start: the ledger suite never silently skips its PostgreSQL half.
# RSSPOT_PG_DURABLE=1 keeps fsync on (benchmarks); by default the cluster trades durability
# for speed, as nothing in it outlives the run.

pg_bindir() {
    local dir=""
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir)"
    fi
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    fi
    echo "$dir"
}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local bin
    bin="$(pg_bindir)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "postgres.sh: PostgreSQL is not installed; installing Debian's postgresql" >&2
        if [ "$(id -u)" != 0 ]; then
            echo "postgres.sh: cannot install PostgreSQL without root; install it and rerun" >&2
            return 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
        bin="$(pg_bindir)"
    fi
    [ -x "$bin/pg_ctl" ] || { echo "postgres.sh: no pg_ctl in '$bin'" >&2; return 1; }
    PG_TMP_DIR="$(mktemp -d /tmp/rsspot-pg.XXXXXX)"
    export PG_TMP_DIR PG_BIN_DIR="$bin"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_TMP_DIR"
    fi
    pg_as_owner "$bin/initdb" -D "$PG_TMP_DIR/data" -A trust -U postgres >"$PG_TMP_DIR/initdb.log" 2>&1 ||
        { cat "$PG_TMP_DIR/initdb.log" >&2; echo "postgres.sh: initdb failed" >&2; return 1; }
    local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${RSSPOT_PG_DURABLE:-0}" = 1 ]; then
        speed=""
    fi
    local port tries=0
    while [ $tries -lt 20 ]; do
        port=$((20000 + RANDOM % 20000))
        tries=$((tries + 1))
        # Something answers there: taken.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue
        fi
        if pg_as_owner "$bin/pg_ctl" -D "$PG_TMP_DIR/data" -l "$PG_TMP_DIR/server.log" -w -t 60 \
            -o "-p $port -k $PG_TMP_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 $speed" \
            start >/dev/null; then
            export RSSPOT_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
            echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($PG_TMP_DIR)" >&2
            return 0
        fi
    done
    cat "$PG_TMP_DIR/server.log" >&2 || true
    echo "postgres.sh: PostgreSQL did not start" >&2
    return 1
}

pg_stop() {
    if [ -n "${PG_TMP_DIR:-}" ] && [ -d "$PG_TMP_DIR/data" ]; then
        pg_as_owner "$PG_BIN_DIR/pg_ctl" -D "$PG_TMP_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    if [ -n "${PG_TMP_DIR:-}" ]; then
        rm -rf "$PG_TMP_DIR"
    fi
    PG_TMP_DIR=""
}
