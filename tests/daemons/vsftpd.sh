#!/usr/bin/env bash
# Starts/stops a private vsftpd on 127.0.0.1 for the integration tests: FTP on PORT with
# explicit FTPS (AUTH TLS answers 234), presenting CHAIN with KEY (RSA or ECDSA).
#   vsftpd.sh start DIR CHAIN KEY PORT DOMAIN
#   vsftpd.sh stop DIR
# Config, certificate copies, empty chroot dir, pid and log (DIR/vsftpd.log) live in DIR.
# vsftpd runs as root with background=NO, started in the background; stop also ends the
# per-connection processes (they call setsid, so they are not in its process group).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Run "$@" in the background with fds 0, 1 and 2 appending to log file $1 (vsftpd writes its
# fatal "500 OOPS" messages to fd 0) and every other fd closed; its pid goes to pid file $2.
spawn() {
    local log=$1 pidfile=$2 fd; shift 2
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec "$@" 0>>"$log" 1>&0 2>&0
    ) &
    echo $! >"$pidfile"
}

case "${1:-}" in
start)
    [ $# -eq 6 ] || usage
    dir=$2 chain=$3 key=$4 port=$5
    mkdir -p "$dir/empty" "$dir/anon"
    chmod 0755 "$dir/empty" "$dir/anon"
    install -m 0644 "$chain" "$dir/chain.pem"
    install -m 0600 "$key" "$dir/key.pem"
    log=$dir/vsftpd.log
    # vsftpd never checks that the key matches the certificate (only handshakes fail): check here.
    if [ "$(openssl x509 -in "$dir/chain.pem" -noout -pubkey)" != "$(openssl pkey -in "$dir/key.pem" -pubout)" ]; then
        echo "$0: $key is not the key of the first certificate in $chain" >&2
        exit 1
    fi
    # vsftpd 3.0.3 has no ecdsa_* directives: rsa_* load any key type (OpenSSL
    # SSL_CTX_use_certificate_chain_file / SSL_CTX_use_PrivateKey_file), so they serve RSA
    # and ECDSA keys alike. ssl_ciphers=HIGH: the Debian default allows only
    # ECDHE-RSA-AES256-GCM-SHA384, which an ECDSA certificate cannot use below TLS 1.3.
    cat >"$dir/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=YES
anon_root=$dir/anon
no_anon_password=YES
local_enable=NO
write_enable=NO
ssl_enable=YES
allow_anon_ssl=YES
ssl_request_cert=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=$dir/chain.pem
rsa_private_key_file=$dir/key.pem
secure_chroot_dir=$dir/empty
seccomp_sandbox=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$log
EOF
    spawn "$log" "$dir/vsftpd.pid" vsftpd "$dir/vsftpd.conf"
    if ! wait_ports "$(cat "$dir/vsftpd.pid")" "$port"; then
        echo "$0: vsftpd is not listening on 127.0.0.1 port $port (it exited, or 30 s passed):" >&2
        tail -n 30 "$log" >&2
        stop_tree "$dir/vsftpd.pid" "$dir/vsftpd.conf"
        exit 1
    fi
    ;;
stop)
    [ $# -eq 2 ] || usage
    stop_tree "$2/vsftpd.pid" "$2/vsftpd.conf"
    ;;
*) usage ;;
esac
