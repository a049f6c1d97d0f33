#!/usr/bin/env bash
# Starts/stops a private Dovecot instance for the integration tests:
#   dovecot.sh start DIR CHAIN KEY PORT DOMAIN
#   dovecot.sh stop DIR
# On 127.0.0.1, all with STARTTLS (ssl = yes, not required): IMAP on PORT, POP3 on PORT+1,
# LMTP on PORT+2, ManageSieve on PORT+3. Config, state, sockets and log (DIR/dovecot.log)
# all live in DIR; nothing in /etc is used or changed.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: $0 start DIR CHAIN KEY PORT DOMAIN | stop DIR" >&2; exit 2; }

# Stops the instance in DIR with its own stop command; see stop_master in lib.sh.
stop() {
    local dir=$1
    stop_master "$dir/dovecot.log" "$dir/run/master.pid" dovecot -c "$dir/dovecot.conf" stop
}

start() {
    local dir=$1 chain=$2 key=$3 port=$4 domain=$5 log=$1/dovecot.log p i ok
    mkdir -p "$dir/run" "$dir/state" "$dir/mail"
    chmod 755 "$dir"
    install -m 600 "$key" "$dir/key.pem"
    install -m 644 "$chain" "$dir/chain.pem"
    : >>"$log"

    # Nobody is meant to log in: a static passdb with a random password satisfies Dovecot.
    cat >"$dir/dovecot.conf" <<EOF
instance_name = certprobe-dovecot-$port
base_dir = $dir/run
state_dir = $dir/state
log_path = $log
info_log_path = $log
protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
hostname = $domain
ssl = yes
ssl_cert = <$dir/chain.pem
ssl_key = <$dir/key.pem
mail_location = maildir:$dir/mail/%n
passdb {
  driver = static
  args = password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$dir/mail/%n
}
service imap-login {
  inet_listener imap {
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $((port + 1))
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $((port + 2))
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $((port + 3))
  }
}
EOF

    # Dovecot forks into the background: keep its output in the log, stdin from
    # /dev/null, and close every other descriptor the caller gave us.
    if ! (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
        done
        exec dovecot -c "$dir/dovecot.conf"
    ) </dev/null >>"$log" 2>&1; then
        fail "$dir" "dovecot failed to start"
    fi

    for ((i = 0; i < 300; i++)); do
        ok=1
        for p in "$port" $((port + 1)) $((port + 2)) $((port + 3)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { ok=0; break; }
        done
        [ "$ok" = 1 ] && return 0
        sleep 0.1
    done
    fail "$dir" "ports $port-$((port + 3)) not all listening after 30 s"
}

fail() {
    echo "dovecot.sh: $2; last lines of $1/dovecot.log:" >&2
    tail -n 30 "$1/dovecot.log" >&2 || true
    stop "$1" >/dev/null 2>&1 || true
    exit 1
}

case "${1:-}" in
start) [ $# -eq 6 ] || usage; start "$2" "$3" "$4" "$5" "$6" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
*) usage ;;
esac
