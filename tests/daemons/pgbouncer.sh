#!/usr/bin/env bash
# Starts/stops a private PgBouncer (Debian's package) on 127.0.0.1 in front of the private
# PostgreSQL cluster of postgresql.sh, as the pooler a site puts before PostgreSQL for many
# short connections (the checks): session pooling, so a client's session is a server's.
#   pgbouncer.sh start DIR PORT CLUSTER_DIR CLUSTER_PORT   config, socket and log in DIR
#   pgbouncer.sh stop DIR
# Clients may use TLS (the cluster's certificate) or not; PgBouncer reaches the cluster on
# its socket in CLUSTER_DIR. Runs as the postgres user when started as root (PgBouncer
# refuses root).
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT CLUSTER_DIR CLUSTER_PORT | stop DIR" >&2; exit 2; }

# Daemons must not inherit the caller's pipes: close every descriptor above 2
# (except 255, bash's own close-on-exec handle on this script).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}; [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && eval "exec $fd>&-" 2>/dev/null || true
done

BIN=/usr/sbin/pgbouncer
as_pg() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
fail() { echo "pgbouncer.sh: $1" >&2; [ -f "$DIR/log" ] && tail -n 30 "$DIR/log" >&2; exit 1; }

start() {
    [ "$PORT" -gt 0 ] 2>/dev/null || usage
    [ -x "$BIN" ] || fail "$BIN is missing (apt-get install pgbouncer)"
    port_open "$PORT" && fail "port $PORT is already in use"
    mkdir -p "$DIR" && chmod 755 "$DIR"
    install -m 644 "$CLUSTER_DIR/chain.pem" "$DIR/chain.pem"
    install -m 600 "$CLUSTER_DIR/key.pem" "$DIR/key.pem"
    echo '"postgres" ""' > "$DIR/users.txt"
    cat > "$DIR/pgbouncer.ini" <<EOF
; Private test instance; written by tests/daemons/pgbouncer.sh
[databases]
* = host=$CLUSTER_DIR port=$CLUSTER_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $DIR
auth_type = trust
auth_file = $DIR/users.txt
pool_mode = session
server_reset_query = DISCARD ALL
max_client_conn = 200
default_pool_size = 20
client_tls_sslmode = allow
client_tls_cert_file = $DIR/chain.pem
client_tls_key_file = $DIR/key.pem
; No ignore_startup_parameters: PgBouncer refuses the session settings certprobe sends
; with the login (options), and certprobe sets them by statement instead, as it does
; through any pooler left at its defaults.
logfile = $DIR/log
pidfile = $DIR/pid
EOF
    touch "$DIR/log"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$DIR"
    cd "$DIR"
    as_pg "$BIN" -d "$DIR/pgbouncer.ini" </dev/null >>"$DIR/log" 2>&1 || fail "pgbouncer did not start"
    for _ in $(seq 100); do port_open "$PORT" && exit 0; sleep 0.1; done
    fail "pgbouncer did not listen on 127.0.0.1:$PORT"
}

stop() {
    [ -f "$DIR/pid" ] || exit 0
    local pid
    pid=$(cat "$DIR/pid")
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.1
    done
    echo "pgbouncer.sh: PID $pid still running after 10 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
    start) [ $# -eq 5 ] || usage; DIR=$2 PORT=$3 CLUSTER_DIR=$4 CLUSTER_PORT=$5; start ;;
    stop)  [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    *) usage ;;
esac
