#!/usr/bin/env bash
# Starts/stops a private OpenLDAP slapd on 127.0.0.1 for the integration tests.
#   slapd.sh start DIR CHAIN KEY PORT DOMAIN   LDAP (StartTLS) on PORT, LDAPS on PORT+1
#   slapd.sh start DIR none  -   PORT DOMAIN   LDAP on PORT only, no TLS (StartTLS is refused)
#   slapd.sh stop DIR
# Everything (cn=config built offline with slapadd, certificate copies, pid, log) lives in DIR.
# slapd runs as root, undetached (-d stats) in the background; its log is DIR/slapd.log.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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
