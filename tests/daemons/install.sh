#!/usr/bin/env bash
# Installs the real daemons the STARTTLS and notification tests run (Debian packages), without letting
# apt start them as services: each test starts private instances on 127.0.0.1 itself.
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved
          slapd ldap-utils vsftpd prosody postgresql pgbouncer mariadb-server snmptrapd snmp)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/daemons/install.sh: need root to install ${missing[*]}" >&2
    exit 1
fi
echo "tests/daemons/install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep apt from starting services on their default addresses.
policy=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=yes
fi
trap '[ "$created_policy" = yes ] && rm -f "$policy"' EXIT
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
