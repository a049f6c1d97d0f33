#!/usr/bin/env bash
# Starts/stops a private Prosody (XMPP c2s with STARTTLS) on 127.0.0.1 for integration tests.
#   prosody.sh start DIR CHAIN KEY PORT DOMAIN   config, data, pidfile and log all in DIR
#   prosody.sh stop DIR
# No s2s, no other listeners. Runs as the prosody user when started as root.
set -euo pipefail

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Daemons must not inherit the caller's pipes: close every descriptor above 2
# (except 255, bash's own close-on-exec handle on this script).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}; [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && eval "exec $fd>&-" 2>/dev/null || true
done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${s:0:1}" != Z ]; }
fail() { echo "prosody.sh: $1" >&2; [ -f "$DIR/prosody.log" ] && tail -n 30 "$DIR/prosody.log" >&2; exit 1; }

start() {
    [ "$PORT" -gt 0 ] 2>/dev/null || usage
    port_open "$PORT" && fail "port $PORT is already in use"
    mkdir -p "$DIR/data" "$DIR/certs" && chmod 755 "$DIR"   # certs: prosody indexes it, stays empty
    install -m 644 "$CHAIN" "$DIR/chain.pem"
    install -m 600 "$KEY" "$DIR/key.pem"
    cat > "$DIR/prosody.cfg.lua" <<EOF
-- Private test instance; written by tests/daemons/prosody.sh
pidfile = "$DIR/prosody.pid"
data_path = "$DIR/data"
log = { { levels = { min = "info" }, to = "file", filename = "$DIR/prosody.log" } }
modules_enabled = { "tls", "saslauth", "roster", "disco", "ping" }
modules_disabled = { "s2s", "s2s_auth_certs", "offline" }
interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { $PORT }
c2s_direct_tls_ports = { }
s2s_ports = { }
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"

VirtualHost "$DOMAIN"
    ssl = { certificate = "$DIR/chain.pem", key = "$DIR/key.pem" }
EOF
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        touch "$DIR/prosody.log"    # created here so prosody itself can append to it too
        chown -R prosody:prosody "$DIR"
        run=(setpriv --reuid=prosody --regid=prosody --init-groups)
        setpriv --reuid=prosody --regid=prosody --init-groups test -w "$DIR/data" \
            || fail "user prosody cannot reach $DIR (make its parent folders world-traversable)"
    fi
    cd "$DIR"
    setsid "${run[@]}" prosody --config "$DIR/prosody.cfg.lua" -F \
        </dev/null >>"$DIR/prosody.log" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        alive "$pid" || fail "prosody exited during startup"
        # Ready once listening and mod_tls has tried the certificate. A bad certificate or key
        # is only logged, and prosody would then run without STARTTLS: treat errors as failure.
        if port_open "$PORT" && grep -q 'tls.*Certificates loaded' "$DIR/prosody.log"; then
            grep -qP '\terror\t' "$DIR/prosody.log" || exit 0
            kill "$pid" 2>/dev/null || true; fail "prosody logged errors at startup (stopped it)"
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    fail "prosody did not listen on 127.0.0.1:$PORT within 30 s"
}

stop() {
    local pid
    pid=$(cat "$DIR/prosody.pid" 2>/dev/null) || exit 0
    [ -n "$pid" ] && alive "$pid" || exit 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do alive "$pid" || exit 0; sleep 0.1; done
    echo "prosody.sh: PID $pid still running after 15 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
    start) [ $# -eq 6 ] || usage; DIR=$2 CHAIN=$3 KEY=$4 PORT=$5 DOMAIN=$6; start ;;
    stop)  [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    *) usage ;;
esac
