#!/usr/bin/env bash
# Starts/stops a private Postfix instance for the integration tests:
#   postfix.sh start DIR CHAIN KEY PORT DOMAIN
#   postfix.sh stop DIR
# SMTP with STARTTLS on 127.0.0.1:PORT, SMTP with implicit TLS (wrapper mode) on PORT+1.
# Config, queue, data and log (DIR/postfix.log) all live in DIR; nothing in /etc is changed.
# Every recipient is rejected, so nothing is ever queued or delivered; with POSTFIX_MAILBOX=1
# (postfix-mailbox.sh) mail for DOMAIN is accepted and delivered by Postfix's virtual agent to
# the Maildir DIR/mail/all/, one copy per recipient with its Delivered-To header, through SMTP
# or Postfix's own sendmail (MAIL_CONFIG=DIR/etc).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Stops the instance in DIR with its own stop command; see stop_master in lib.sh.
stop() {
    local dir=$1
    stop_master "$dir/postfix.log" "$dir/queue/pid/master.pid" postfix -c "$dir/etc" stop
}

# The smtpd restrictions: reject everything, or take mail for the virtual domain.
restrictions() {
    if [ -n "${POSTFIX_MAILBOX:-}" ]; then
        cat <<EOF
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:all/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
authorized_submit_users = static:anyone
EOF
    else
        printf 'smtpd_relay_restrictions = reject\nsmtpd_recipient_restrictions = reject\n'
    fi
}

# The services that queue and deliver, in mailbox mode only.
delivery_services() {
    [ -n "${POSTFIX_MAILBOX:-}" ] || return 0
    cat <<EOF
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
flush     unix  n - n 1000? 0 flush
error     unix  - - n - - error
virtual   unix  - n n - - virtual
EOF
}

start() {
    local dir=$1 chain=$2 key=$3 port=$4 domain=$5 log=$1/postfix.log p i ok
    # Postfix listens with SO_REUSEPORT, so a second instance on a busy port would start
    # fine and share it: refuse busy ports instead.
    for p in "$port" $((port + 1)); do
        ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "postfix.sh: port $p is in use" >&2; exit 1; }
    done
    mkdir -p "$dir/etc" "$dir/queue"  # post-install creates the rest, owned by postfix
    chmod 755 "$dir" "$dir/etc" "$dir/queue"
    install -m 600 "$key" "$dir/etc/key.pem"
    install -m 644 "$chain" "$dir/etc/chain.pem"
    : >>"$log"
    if [ -n "${POSTFIX_MAILBOX:-}" ]; then
        # The Maildir's folder, owned by the user the virtual agent delivers as.
        mkdir -p "$dir/mail"
        chown 65534:65534 "$dir/mail"
    fi

    cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
# Relative to queue_directory (every Postfix program runs there): the master opens its lock
# file as user postfix, who may not be able to search the folders above DIR.
data_directory = ../data
maillog_file = $log
maillog_file_prefixes = $dir
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = $domain
mydomain = $domain
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
default_transport = error:no delivery in tests
local_transport = error:no delivery in tests
$(restrictions)
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP certprobe test instance
smtpd_tls_security_level = may
smtpd_tls_chain_files = $dir/etc/key.pem, $dir/etc/chain.pem
smtpd_tls_loglevel = 1
EOF
    # chroot = n everywhere; only the services smtpd needs to talk EHLO/STARTTLS.
    cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port       inet  n - n - - smtpd
127.0.0.1:$((port + 1)) inet  n - n - - smtpd -o smtpd_tls_wrappermode=yes
anvil     unix  - - n - 1 anvil
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
proxymap  unix  - - n - - proxymap
postlog   unix-dgram n - n - 1 postlogd
$(delivery_services)
EOF

    # The postfix command reports errors only to a tty or the log: keep its output in the
    # log, stdin from /dev/null, and close every other descriptor the caller gave us.
    if ! (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
        done
        exec postfix -c "$dir/etc" start
    ) </dev/null >>"$log" 2>&1; then
        fail "$dir" "postfix start failed"
    fi

    for ((i = 0; i < 300; i++)); do
        ok=1
        for p in "$port" $((port + 1)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { ok=0; break; }
        done
        [ "$ok" = 1 ] && return 0
        sleep 0.1
    done
    fail "$dir" "ports $port and $((port + 1)) not listening after 30 s"
}

fail() {
    echo "postfix.sh: $2; last lines of $1/postfix.log:" >&2
    tail -n 30 "$1/postfix.log" >&2 || true
    stop "$1" >/dev/null 2>&1 || true
    exit 1
}

case "${1:-}" in
start) [ $# -eq 6 ] || usage; start "$2" "$3" "$4" "$5" "$6" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
*) usage ;;
esac
