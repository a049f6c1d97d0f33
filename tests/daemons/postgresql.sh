#!/usr/bin/env bash
# Starts/stops a private PostgreSQL 15 cluster (TLS via SSLRequest) on 127.0.0.1 for integration tests.
#   postgresql.sh start DIR CHAIN KEY PORT DOMAIN   cluster in DIR/data, socket, certs and log in DIR
#   postgresql.sh stop DIR
# Runs as the postgres user when started as root (postgres refuses to run as root).
# DOMAIN is unused: PostgreSQL serves one certificate. MAX_CONNECTIONS (default 20) sets max_connections,
# SHARED_BUFFERS (default 16MB) shared_buffers.
set -euo pipefail

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Daemons must not inherit the caller's pipes: close every descriptor above 2
# (except 255, bash's own close-on-exec handle on this script).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}; [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && eval "exec $fd>&-" 2>/dev/null || true
done

BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
fail() { echo "postgresql.sh: $1" >&2; [ -f "$DIR/log" ] && tail -n 30 "$DIR/log" >&2; exit 1; }

start() {
    [ "$PORT" -gt 0 ] 2>/dev/null || usage
    port_open "$PORT" && fail "port $PORT is already in use"
    mkdir -p "$DIR" && chmod 755 "$DIR"
    install -m 644 "$CHAIN" "$DIR/chain.pem"
    install -m 600 "$KEY" "$DIR/key.pem"
    touch "$DIR/log"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$DIR"
    cd "$DIR"    # initdb and pg_ctl fail in a folder the postgres user cannot enter
    as_pg test -w "$DIR" || fail "user postgres cannot reach $DIR (make its parent folders world-traversable)"
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale -N >>"$DIR/log" 2>&1 \
        || fail "initdb failed"
    cat >> "$DIR/data/postgresql.conf" <<EOF

# Private test instance; written by tests/daemons/postgresql.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
ssl = on
ssl_cert_file = '$DIR/chain.pem'
ssl_key_file = '$DIR/key.pem'
shared_buffers = ${SHARED_BUFFERS:-16MB}
max_connections = ${MAX_CONNECTIONS:-20}
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start </dev/null >>"$DIR/log" 2>&1 \
        || fail "pg_ctl start failed"
    for _ in $(seq 100); do port_open "$PORT" && exit 0; sleep 0.1; done
    fail "postgres did not listen on 127.0.0.1:$PORT"
}

stop() {
    [ -f "$DIR/data/postmaster.pid" ] || exit 0
    local pid s
    pid=$(head -n 1 "$DIR/data/postmaster.pid")
    cd "$DIR"
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 15 stop </dev/null >/dev/null 2>&1 || true
    for _ in $(seq 150); do
        s=$(ps -o stat= -p "$pid" 2>/dev/null) && [ "${s:0:1}" != Z ] || exit 0
        sleep 0.1
    done
    echo "postgresql.sh: PID $pid still running after 15 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
    start) [ $# -eq 6 ] || usage; DIR=$2 CHAIN=$3 KEY=$4 PORT=$5 DOMAIN=$6; start ;;
    stop)  [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    *) usage ;;
esac
