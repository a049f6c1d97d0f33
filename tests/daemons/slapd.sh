#!/usr/bin/env bash
# Starts/stops a private OpenLDAP slapd on 127.0.0.1 for the integration tests.
#   slapd.sh start DIR CHAIN KEY PORT DOMAIN   LDAP (StartTLS) on PORT, LDAPS on PORT+1
#   slapd.sh start DIR none  -   PORT DOMAIN   LDAP on PORT only, no TLS (StartTLS is refused)
#   slapd.sh stop DIR
# Everything (cn=config built offline with slapadd, certificate copies, pid, log) lives in DIR.
# slapd runs as root, undetached (-d stats) in the background; its log is DIR/slapd.log.
set -euo pipefail

usage() { echo "usage: $0 start DIR CHAIN|none KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Run "$@" in the background with stdin from /dev/null, stdout and stderr to log file $1
# and every other descriptor closed; its pid goes to pid file $2.
spawn() {
    local log=$1 pidfile=$2 fd; shift 2
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec "$@" </dev/null >>"$log" 2>&1
    ) &
    echo $! >"$pidfile"
}

alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }

# Does process $1 hold the socket listening on 127.0.0.1:$2?
owns_port() {
    local inode
    for inode in $(awk -v a="$(printf '0100007F:%04X' "$2")" '$2 == a && $4 == "0A" {print $10}' /proc/net/tcp); do
        ls -l "/proc/$1/fd" 2>/dev/null | grep -qF "socket:[$inode]" && return 0
    done
    return 1
}

# Wait up to 30 s until process $1 listens on every port $2... and they accept connections.
wait_ports() {
    local pid=$1 port; shift
    for _ in $(seq 300); do
        alive "$pid" || return 1
        for port in "$@"; do
            owns_port "$pid" "$port" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { sleep 0.1; continue 2; }
        done
        return 0
    done
    return 1
}

descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }

# Stop the process in pid file $1 (if its command line contains $2) and all its descendants;
# wait until they are gone (zombies count as gone), SIGKILL after 10 s.
stop_tree() {
    local pidfile=$1 marker=$2 pid pids p
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
        kill -STOP "$pid" 2>/dev/null || true   # no new children while we list them
        pids="$pid $(descendants "$pid")"
        kill -TERM $pids 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            for p in $pids; do alive "$p" && { sleep 0.1; continue 2; }; done
            pids=""; break
        done
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
start)
    [ $# -eq 6 ] || usage
    dir=$2 chain=$3 key=$4 port=$5
    mkdir -p "$dir/slapd.d"
    log=$dir/slapd.log
    urls="ldap://127.0.0.1:$port/"
    ports=("$port")
    tls=""
    if [ "$chain" != none ]; then
        install -m 0644 "$chain" "$dir/chain.pem"
        install -m 0600 "$key" "$dir/key.pem"
        urls="$urls ldaps://127.0.0.1:$((port + 1))/"
        ports+=("$((port + 1))")
        tls=$'\n'"olcTLSCertificateFile: $dir/chain.pem"$'\n'"olcTLSCertificateKeyFile: $dir/key.pem"
    fi
    # Minimal cn=config: global entry (+ TLS), schema, frontend and config databases.
    cat >"$dir/config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcArgsFile: $dir/slapd.args$tls

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none
EOF
    if ! slapadd -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >>"$log" 2>&1; then
        echo "$0: slapadd failed:" >&2; tail -n 30 "$log" >&2; exit 1
    fi
    spawn "$log" "$dir/slapd.pid" slapd -F "$dir/slapd.d" -h "$urls" -d stats
    if ! wait_ports "$(cat "$dir/slapd.pid")" "${ports[@]}"; then
        echo "$0: slapd is not listening on 127.0.0.1 port(s) ${ports[*]} (it exited, or 30 s passed):" >&2
        tail -n 30 "$log" >&2
        stop_tree "$dir/slapd.pid" "$dir/slapd.d"
        exit 1
    fi
    ;;
stop)
    [ $# -eq 2 ] || usage
    stop_tree "$2/slapd.pid" "$2/slapd.d"
    ;;
*) usage ;;
esac
