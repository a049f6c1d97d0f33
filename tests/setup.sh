#!/usr/bin/env bash
# Installs what the test suite needs that cargo does not bring: the openssl command line
# (RSA test keys, the RSA-1024 server, reference fingerprints), GNU time (benchmark RSS),
# promtool (Debian package prometheus, checks the Prometheus output and the inventory's
# export), zabbix_agent2 (the reference for the Zabbix output), systemd-analyze (package
# systemd, verifies the units in packaging/systemd), keytool (Java keystores for the audit),
# Chromium (the reports and the dashboard in a real browser), and the real daemons of the
# STARTTLS and notification tests (tests/daemons/install.sh: Postfix, snmptrapd, ...).
# Idempotent; installs from Debian only what is missing.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/time ] || missing+=(time)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v zabbix_agent2 >/dev/null 2>&1 || missing+=(zabbix-agent2)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# keytool writes the JKS and JCEKS keystores of the audit's tests (crates/certprobe-audit).
command -v keytool >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
# Headless Chromium opens the reports and the dashboard (tests/report.rs), with a font.
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)

if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/setup.sh: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/setup.sh: need root to install ${missing[*]} (apt-get)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps apt from starting the prometheus and zabbix-agent2 services.
    policy=/usr/sbin/policy-rc.d
    [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$(dirname "$0")/daemons/install.sh"
