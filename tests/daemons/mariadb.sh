#!/usr/bin/env bash
# Starts/stops a private MariaDB server (TLS via the SSL request in the handshake) on 127.0.0.1
# for integration tests.
#   mariadb.sh start DIR CHAIN KEY PORT DOMAIN   data in DIR/data; socket, pid, certs, log in DIR
#   mariadb.sh stop DIR
# Reads no option files (--no-defaults). Runs as the mysql user when started as root.
# DOMAIN is unused: MariaDB serves one certificate.
set -euo pipefail

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Daemons must not inherit the caller's pipes: close every descriptor above 2
# (except 255, bash's own close-on-exec handle on this script).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}; [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && eval "exec $fd>&-" 2>/dev/null || true
done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${s:0:1}" != Z ]; }
fail() { echo "mariadb.sh: $1" >&2; [ -f "$DIR/mariadb.log" ] && tail -n 30 "$DIR/mariadb.log" >&2; exit 1; }

start() {
    [ "$PORT" -gt 0 ] 2>/dev/null || usage
    port_open "$PORT" && fail "port $PORT is already in use"
    mkdir -p "$DIR/tmp" && chmod 755 "$DIR"
    install -m 644 "$CHAIN" "$DIR/chain.pem"
    install -m 600 "$KEY" "$DIR/key.pem"
    touch "$DIR/mariadb.log"
    local user=()
    if [ "$(id -u)" -eq 0 ]; then
        chown -R mysql:mysql "$DIR"
        user=(--user=mysql)
        setpriv --reuid=mysql --regid=mysql --init-groups test -w "$DIR/tmp" \
            || fail "user mysql cannot reach $DIR (make its parent folders world-traversable)"
    fi
    cd "$DIR"
    # Small InnoDB files keep install and start fast; the same settings for both.
    local common=(--datadir="$DIR/data" --tmpdir="$DIR/tmp" "${user[@]}"
                  --innodb-buffer-pool-size=32M --innodb-log-file-size=8M)
    mariadb-install-db --no-defaults "${common[@]}" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve </dev/null >>"$DIR/mariadb.log" 2>&1 \
        || fail "mariadb-install-db failed"
    setsid mariadbd --no-defaults "${common[@]}" --socket="$DIR/sock" --pid-file="$DIR/pid" \
        --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --ssl-cert="$DIR/chain.pem" --ssl-key="$DIR/key.pem" \
        </dev/null >>"$DIR/mariadb.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$DIR/mariadbd.pid"   # ours, in case mariadbd dies before writing DIR/pid
    for _ in $(seq 600); do
        alive "$pid" || fail "mariadbd exited during startup"
        port_open "$PORT" && exit 0
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    fail "mariadbd did not listen on 127.0.0.1:$PORT within 60 s"
}

stop() {
    local pid
    pid=$(cat "$DIR/mariadbd.pid" 2>/dev/null) || exit 0
    [ -n "$pid" ] && alive "$pid" || exit 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do alive "$pid" || exit 0; sleep 0.1; done
    echo "mariadb.sh: PID $pid still running after 15 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
    start) [ $# -eq 6 ] || usage; DIR=$2 CHAIN=$3 KEY=$4 PORT=$5 DOMAIN=$6; start ;;
    stop)  [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    *) usage ;;
esac
