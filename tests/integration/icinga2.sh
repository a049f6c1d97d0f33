#!/usr/bin/env bash
# Integration test of the monitoring packaging against the real Icinga 2 and Nagios 4 from
# Debian (run from anywhere, after `cargo build --release --bins`):
#
#   1. packaging/nagios/certprobe.cfg passes `nagios4 -v` (a private nagios.cfg with a
#      timeperiod, a contact, a host and one service per command), and some of its command
#      lines, expanded as Nagios would, run the plugins against the servers of step 3;
#   2. packaging/icinga2/certprobe.conf passes `icinga2 daemon -C` (a private icinga2.conf:
#      constants.conf, <itl>, <plugins>, a host and a service per CheckCommand);
#   3. a private Icinga 2 runs for real (as the nagios user, as Debian's does) and checks an
#      `openssl s_server` (certprobe_tls), a private Postfix (certprobe_smtp) on 127.0.0.1, and
#      the s_server's endpoint from an inventory `certprobe scan` made as root
#      (certprobe_inventory); the results are read back through the REST API and compared
#      with what is expected.
#
# Installs icinga2, nagios4, postfix, jq and curl from Debian if missing (as root; no service is
# started). Everything else lives in a temporary folder; only loopback addresses are used, and
# every process started here is stopped on exit, also on failure.
# Exit 0 only if every check passes. A missing tool is a failure under CI=true, and SKIPPED
# (exit 0) elsewhere. CERTPROBE_KEEP_TMP=1 keeps the temporary folder for a look afterwards.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
# pass, fail, missing_tool, stop_group, spawn, listening, show_log
# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
RELEASE=$ROOT/target/release
NAGIOS_CFG=$ROOT/packaging/nagios/certprobe.cfg
ICINGA_CONF=$ROOT/packaging/icinga2/certprobe.conf
PLUGINS=(check_tls_cert check_smtp_cert check_lmtp_cert check_ldap_cert check_cert_inventory check_cert_file certprobe)
RUN_USER=nagios  # Debian's icinga2 runs as nagios:nagios
RUN_GROUP=nagios
WAIT_SECONDS=60
START=$SECONDS

say() { echo "icinga2.sh: $*"; }
RESULTS=()
FAILED=0


# --- housekeeping -----------------------------------------------------------------------
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=no
WORK=
ICINGA_PID=
SSERVER_PID=
POSTFIX_DIR=
POSTFIX_STARTED=no


cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$ICINGA_PID" ]; then stop_group "$ICINGA_PID"; fi
    if [ -n "$SSERVER_PID" ]; then stop_group "$SSERVER_PID"; fi
    if [ "$POSTFIX_STARTED" = yes ]; then "$ROOT/tests/daemons/postfix.sh" stop "$POSTFIX_DIR" >/dev/null 2>&1 || true; fi
    if [ "$CREATED_POLICY" = yes ]; then rm -f "$POLICY"; fi
    if [ -z "$WORK" ]; then
        :
    elif [ "${CERTPROBE_KEEP_TMP:-}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 0. tools ---------------------------------------------------------------------------
export PATH=$PATH:/usr/sbin:/sbin
# Prints the first missing tool, or returns 1 when none is.
tool_missing() {
    local t
    for t in icinga2 nagios4 postfix openssl curl jq setsid runuser timeout; do
        command -v "$t" >/dev/null 2>&1 || { echo "$t"; return 0; }
    done
    return 1
}

# Root: to install, to run Icinga 2 and Nagios as their user, and to start Postfix.
[ "$(id -u)" -eq 0 ] || missing_tool "tests/integration/icinga2.sh needs root"
if missing=$(tool_missing); then
    command -v apt-get >/dev/null || missing_tool "$missing is not installed and there is no apt-get"
    say "installing icinga2 nagios4 postfix jq curl openssl (missing: $missing)"
    export DEBIAN_FRONTEND=noninteractive
    if [ ! -e "$POLICY" ]; then  # keep apt from starting the services it installs
        printf '#!/bin/sh\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        CREATED_POLICY=yes
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt_ok=yes
    apt-get -o DPkg::Lock::Timeout=300 update -qq || apt_ok=no
    [ "$apt_ok" = yes ] && { apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        icinga2 nagios4 postfix jq curl openssl util-linux >/tmp/certprobe-icinga2-apt.log 2>&1 || apt_ok=no; }
    if [ "$CREATED_POLICY" = yes ]; then rm -f "$POLICY"; CREATED_POLICY=no; fi
    if [ "$apt_ok" = no ]; then
        tail -n 20 /tmp/certprobe-icinga2-apt.log >&2 2>/dev/null || true
        missing_tool "installing the packages failed"
    fi
    if missing=$(tool_missing); then missing_tool "$missing is still missing after apt-get install"; fi
fi
[ -r /etc/icinga2/constants.conf ] || missing_tool "/etc/icinga2/constants.conf (package icinga2) is missing"
getent passwd "$RUN_USER" >/dev/null || missing_tool "user $RUN_USER (from the icinga2/nagios4 packages) does not exist"

for p in "${PLUGINS[@]}"; do
    [ -x "$RELEASE/$p" ] || {
        echo "FAIL  $RELEASE/$p not found: run cargo build --release --bins first"
        echo "RESULT: FAIL"
        exit 1
    }
done

WORK=$(mktemp -d /tmp/certprobe-icinga2.XXXXXX)
chmod 755 "$WORK"  # the nagios user must reach the plugins, the CA file and its state

# Waits up to $2 seconds for 127.0.0.1:$1 to accept connections.
wait_port() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        listening "$1" && return 0
        sleep 0.1
    done
    return 1
}

# Sets PORT to a port that is free on 127.0.0.1, along with the next one (Postfix takes both).
USED_PORTS=" "
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 30000))
        case $USED_PORTS in *" $p "* | *" $((p + 1)) "*) continue ;; esac
        if ! listening "$p" && ! listening $((p + 1)); then
            USED_PORTS="$USED_PORTS$p $((p + 1)) "
            PORT=$p
            return 0
        fi
    done
    echo "icinga2.sh: no free port found" >&2
    exit 1
}


# --- 1. material: plugins, PKI ------------------------------------------------------------
PLUGDIR=$WORK/plugins
PKI=$WORK/pki
mkdir -m 755 "$PLUGDIR" "$PKI"
for p in "${PLUGINS[@]}"; do install -m 755 "$RELEASE/$p" "$PLUGDIR/$p"; done

# CA, and leaves for tls.example and mail.example (ECDSA P-256, 200 days, PKCS#8 keys), and one
# for the Icinga 2 API. All certificates are world-readable; the keys are root's.
make_pki() {
    local name
    cd "$PKI"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=certprobe test/CN=certprobe test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
    for name in tls.example mail.example; do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
        openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr"
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$name" >"$name.ext"
        openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 200 \
            -extfile "$name.ext" -out "$name.pem"
        cat "$name.pem" ca.pem >"$name.chain.pem"
    done
    # The API certificate: CN = the Icinga 2 node name, signed by the same CA.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out api.key
    openssl req -new -key api.key -subj "/CN=$NODE_NAME" -out api.csr
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$NODE_NAME" >api.ext
    openssl x509 -req -in api.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 30 \
        -extfile api.ext -out api.pem
    chmod 644 ./*.pem
    chmod 600 ./*.key
}
NODE_NAME=certprobe-it.localhost
if ! (make_pki) >"$WORK/pki.log" 2>&1; then
    fail "test PKI made with openssl"
    show_log "$WORK/pki.log"
    exit 1
fi
CA=$PKI/ca.pem

# --- 2. servers: openssl s_server (direct TLS), Postfix (SMTP STARTTLS, SMTPS on port + 1) ---
free_port; TLS_PORT=$PORT
free_port; SMTP_PORT=$PORT
free_port; API_PORT=$PORT
free_port; CLOSED_PORT=$PORT  # nothing listens there

spawn "$WORK/s_server.log" openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$PKI/tls.example.pem" \
    -key "$PKI/tls.example.key" -www -quiet
SSERVER_PID=$BG_PID
if wait_port "$TLS_PORT" 10; then
    pass "openssl s_server for tls.example on 127.0.0.1:$TLS_PORT"
else
    fail "openssl s_server for tls.example on 127.0.0.1:$TLS_PORT did not start"
    show_log "$WORK/s_server.log"
fi

POSTFIX_DIR=$WORK/postfix
POSTFIX_STARTED=yes  # postfix.sh stop is harmless if it never ran
if "$ROOT/tests/daemons/postfix.sh" start "$POSTFIX_DIR" "$PKI/mail.example.chain.pem" "$PKI/mail.example.key" \
    "$SMTP_PORT" mail.example >"$WORK/postfix-start.log" 2>&1; then
    pass "Postfix for mail.example on 127.0.0.1:$SMTP_PORT (STARTTLS) and :$((SMTP_PORT + 1)) (SMTPS)"
else
    fail "Postfix for mail.example on 127.0.0.1:$SMTP_PORT did not start"
    show_log "$WORK/postfix-start.log"
fi

# --- 2b. the inventory: certprobe scan (as root, as its daemon runs) of the s_server ---------------
# A folder and file the nagios user may read, not write: the plugin opens the database read-only.
INV_DIR=$WORK/inventory
INV_DB=$INV_DIR/inventory.sqlite
mkdir -m 755 "$INV_DIR"
if "$PLUGDIR/certprobe" --db "$INV_DB" scan --targets 127.0.0.1 --ports "$TLS_PORT" --sni "127.0.0.1=tls.example" \
    --ca-file "$CA" --no-revocation --connect-timeout 2s --timeout 5s >"$WORK/scan.log" 2>&1; then
    chmod 644 "$INV_DB"*
    pass "certprobe scan of 127.0.0.1:$TLS_PORT (tls.example) into $INV_DB"
else
    fail "certprobe scan of 127.0.0.1:$TLS_PORT into $INV_DB"
    show_log "$WORK/scan.log"
fi

# --- 3. Nagios 4: nagios4 -v ------------------------------------------------------------------
NAG=$WORK/nagios
install -d -m 755 -o "$RUN_USER" -g "$RUN_GROUP" "$NAG"  # nagios4 -v tests that its user may write there
# command name -> number of $ARGn$ it takes
mapfile -t NAG_COMMANDS < <(awk '$1 == "command_name" { print $2 }' "$NAGIOS_CFG")
nagios_line() { # prints the command_line of command $1
    awk -v n="$1" '$1 == "command_name" { c = ($2 == n) } c && $1 == "command_line" { sub(/^[ \t]*command_line[ \t]+/, ""); print; exit }' "$NAGIOS_CFG"
}
printf '$USER1$=%s\n' "$PLUGDIR" >"$NAG/resource.cfg"
{
    cat <<EOF
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}

define command {
    command_name    notify-none
    command_line    /bin/true
}

define contact {
    contact_name                  certprobe
    alias                         certprobe test
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    notify-none
    service_notification_commands notify-none
}

define host {
    host_name             certprobe-test
    alias                 certprobe test host
    address               127.0.0.1
    max_check_attempts    1
    check_period          24x7
    notification_period   24x7
    contacts              certprobe
}
EOF
    for c in "${NAG_COMMANDS[@]}"; do
        line=$(nagios_line "$c")
        nargs=$(grep -o '\$ARG[0-9]*\$' <<<"$line" | tr -dc '0-9\n' | sort -n | tail -n 1 || true)
        args=$c
        for ((i = 1; i <= ${nargs:-0}; i++)); do args="$args!$i"; done
        cat <<EOF

define service {
    host_name             certprobe-test
    service_description   $c
    check_command         $args
    max_check_attempts    1
    check_interval        5
    retry_interval        1
    check_period          24x7
    notification_period   24x7
    contacts              certprobe
}
EOF
    done
} >"$NAG/objects.cfg"
cat >"$NAG/nagios.cfg" <<EOF
log_file=$NAG/nagios.log
cfg_file=$NAGIOS_CFG
cfg_file=$NAG/objects.cfg
resource_file=$NAG/resource.cfg
status_file=$NAG/status.dat
state_retention_file=$NAG/retention.dat
temp_file=$NAG/nagios.tmp
temp_path=$NAG
lock_file=$NAG/nagios.lock
check_result_path=$NAG
command_file=$NAG/nagios.cmd
object_cache_file=$NAG/objects.cache
precached_object_file=$NAG/objects.precache
nagios_user=$RUN_USER
nagios_group=$RUN_GROUP
illegal_object_name_chars=\`~!\$%^&*|'"<>?,()=
illegal_macro_output_chars=\`~\$&|'"<>
EOF
if [ ${#NAG_COMMANDS[@]} -eq 0 ]; then
    fail "nagios4 -v: no command_name in $NAGIOS_CFG"
elif timeout 60 nagios4 -v "$NAG/nagios.cfg" >"$NAG/verify.log" 2>&1 &&
    grep -q 'Total Errors: *0$' "$NAG/verify.log" && grep -q 'Total Warnings: *0$' "$NAG/verify.log"; then
    pass "nagios4 -v: packaging/nagios/certprobe.cfg, ${#NAG_COMMANDS[@]} commands (${NAG_COMMANDS[*]}), one service each, 0 warnings, 0 errors"
else
    fail "nagios4 -v: packaging/nagios/certprobe.cfg"
    grep -E 'Error|Warning' "$NAG/verify.log" | sed 's/^/      | /' | head -n 20
fi

# Every command runs a plugin that exists.
for c in "${NAG_COMMANDS[@]}"; do
    bin=$(nagios_line "$c" | awk '{ print $1 }')
    bin=${bin//\$USER1\$/$PLUGDIR}
    [ -x "$bin" ] || fail "Nagios command $c: $bin is not a built plugin"
done

# A command line expanded as Nagios expands it ($USER1$, $HOSTADDRESS$, $ARGn$; then run by
# /bin/sh as the nagios user). Usage: nagios_run EXPECTED_EXIT PREFIX COMMAND!ARG1!ARG2...
nagios_run() {
    local want=$1 prefix=$2 spec=$3 name line out rc i
    IFS='!' read -r -a parts <<<"$spec"
    name=${parts[0]}
    line=$(nagios_line "$name")
    [ -n "$line" ] || { fail "Nagios $spec: no command $name"; return; }
    line=${line//\$USER1\$/$PLUGDIR}
    line=${line//\$HOSTADDRESS\$/127.0.0.1}
    for ((i = 9; i >= 1; i--)); do line=${line//\$ARG$i\$/${parts[$i]:-}}; done
    rc=0
    out=$(timeout 30 runuser -u "$RUN_USER" -- /bin/sh -c "$line" 2>&1) || rc=$?
    if [ "$rc" = "$want" ] && [[ ${out%%$'\n'*} == "$prefix"* ]]; then
        pass "Nagios $spec: exit $rc, ${out%%|*}"
    else
        fail "Nagios $spec: exit $rc (want $want), first line \"${out%%$'\n'*}\" (want it to start with \"$prefix\")"
        echo "      command: $line"
    fi
}
nagios_run 0 "TLS_CERT OK - 127.0.0.1:$TLS_PORT 'tls.example' issued by" \
    "check_tls_cert_sni!tls.example!$TLS_PORT!30!7!--ca-file $CA"
nagios_run 1 "TLS_CERT WARNING - 127.0.0.1:$TLS_PORT" \
    "check_tls_cert_sni!tls.example!$TLS_PORT!300!7!--ca-file $CA"
nagios_run 0 "SMTP_CERT OK - 127.0.0.1:$SMTP_PORT 'mail.example'" "check_smtp_cert!$SMTP_PORT!30!7!--sni mail.example --ca-file $CA"
nagios_run 0 "SMTP_CERT OK - 127.0.0.1:$((SMTP_PORT + 1)) 'mail.example'" "check_smtps_cert!$((SMTP_PORT + 1))!30!7!--sni mail.example --ca-file $CA"
nagios_run 0 "TLS_CERT OK - 127.0.0.1:$SMTP_PORT 'mail.example'" "check_tls_cert_starttls!smtp!$SMTP_PORT!30!7!--sni mail.example --ca-file $CA"
nagios_run 0 "CERT_INVENTORY OK - tls.example:$TLS_PORT 'tls.example' issued by" \
    "check_cert_inventory!$TLS_PORT!30!7!--db $INV_DB --max-age 2d"
nagios_run 1 "CERT_INVENTORY WARNING - tls.example:$TLS_PORT certificate expires in" \
    "check_cert_inventory_sni!tls.example!$TLS_PORT!300!7!--db $INV_DB"
nagios_run 3 "CERT_INVENTORY UNKNOWN - the inventory $INV_DB holds no endpoint at address 127.0.0.1 on port $CLOSED_PORT" \
    "check_cert_inventory!$CLOSED_PORT!30!7!--db $INV_DB"
nagios_run 0 "CERT_FILE OK - 'tls.example' issued by 'certprobe test CA'" \
    "check_cert_file!$PKI/tls.example.chain.pem!30!7!--ca-file $CA"
nagios_run 1 "CERT_FILE WARNING - certificate expires in" \
    "check_cert_file!$PKI/tls.example.chain.pem!300!7!--ca-file $CA"

# --- 4. Icinga 2: icinga2 daemon -C -------------------------------------------------------------
I2=$WORK/icinga2
mkdir -m 755 "$I2" "$I2/etc"
for d in data data/certs log cache spool run; do
    install -d -m 750 -o "$RUN_USER" -g "$RUN_GROUP" "$I2/$d"
done
install -m 644 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/api.pem" "$I2/data/certs/$NODE_NAME.crt"
install -m 600 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/api.key" "$I2/data/certs/$NODE_NAME.key"
install -m 644 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/ca.pem" "$I2/data/certs/ca.crt"
# constants.conf as an admin would edit it: PluginDir points at the fresh plugins.
{
    grep -v '^[[:space:]]*const[[:space:]]\+PluginDir[[:space:]]*=' /etc/icinga2/constants.conf
    printf 'const PluginDir = "%s"\n' "$PLUGDIR"
} >"$I2/etc/constants.conf"
install -m 644 "$ICINGA_CONF" "$I2/etc/certprobe.conf"
API_PASSWORD=$(openssl rand -hex 16)
cat >"$I2/etc/icinga2.conf" <<EOF
/* Private Icinga 2 instance of tests/integration/icinga2.sh */
include "constants.conf"
include <itl>
include <plugins>
include "certprobe.conf"

object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }

object CheckerComponent "checker" { }
object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = $API_PORT
  accept_config = false
  accept_commands = false
}
object ApiUser "certprobe" {
  password = "$API_PASSWORD"
  permissions = [ "status/query", "objects/query/Service" ]
}

object Host "certprobe-test" {
  address = "127.0.0.1"
  check_command = "dummy"
  check_interval = 5m
}

template Service "certprobe-fast" {
  host_name = "certprobe-test"
  max_check_attempts = 1
  check_interval = 2s
  retry_interval = 2s
  vars.certprobe_address = "127.0.0.1"
  vars.certprobe_ca_file = [ "$CA" ]
}

object Service "certprobe_tls" {
  import "certprobe-fast"
  check_command = "certprobe_tls"
  vars.certprobe_host = "tls.example"
  vars.certprobe_port = $TLS_PORT
}

object Service "certprobe_tls_warning" {
  import "certprobe-fast"
  check_command = "certprobe_tls"
  vars.certprobe_host = "tls.example"
  vars.certprobe_port = $TLS_PORT
  vars.certprobe_warning = 300
}

object Service "certprobe_smtp" {
  import "certprobe-fast"
  check_command = "certprobe_smtp"
  vars.certprobe_host = "mail.example"
  vars.certprobe_port = $SMTP_PORT
  vars.certprobe_helo = "icinga.example"
}

object Service "certprobe_file" {
  import "certprobe-fast"
  check_command = "certprobe_file"
  vars.certprobe_file_path = "$PKI/tls.example.chain.pem"
  vars.certprobe_file_name = "tls.example"
  vars.certprobe_file_ca_file = [ "$CA" ]
}

object Service "certprobe_inventory" {
  import "certprobe-fast"
  check_command = "certprobe_inventory"
  vars.certprobe_inventory_db = "$INV_DB"
  vars.certprobe_inventory_ip = "\$address\$"
  vars.certprobe_inventory_host = "tls.example"
  vars.certprobe_inventory_port = $TLS_PORT
  vars.certprobe_inventory_max_age = "2d"
}

/* Validated, not run. */
object Service "certprobe_lmtp" {
  import "certprobe-fast"
  check_command = "certprobe_lmtp"
  enable_active_checks = false
  vars.certprobe_host = "lmtp.example"
  vars.certprobe_port = 24
}

/* Runs against a closed port (CRITICAL): shows how flags and arrays become arguments. */
object Service "certprobe_ldap" {
  import "certprobe-fast"
  check_command = "certprobe_ldap"
  vars.certprobe_host = "ldap.example"
  vars.certprobe_port = $CLOSED_PORT
  vars.certprobe_ca_file = [ "$CA", "$PKI/tls.example.pem" ]
  vars.certprobe_ldaps = true
  vars.certprobe_ipv4 = true
  vars.certprobe_no_revocation = true
  vars.certprobe_allow_self_signed = true
  vars.certprobe_allow_untrusted = false
  vars.certprobe_match = [ "ldap1.example", "ldap2.example" ]
  vars.certprobe_name_check = "cn-san"
  vars.certprobe_timeout_state = "critical"
  vars.certprobe_timeout = 5
  vars.certprobe_verbose = true
}
EOF
chmod 644 "$I2/etc/"*
# The instance's paths; RunAsUser/RunAsGroup as Debian's service uses them.
I2_ARGS=(-c "$I2/etc/icinga2.conf" -DNodeName="$NODE_NAME" -DRunAsUser="$RUN_USER" -DRunAsGroup="$RUN_GROUP"
    -DDataDir="$I2/data" -DLogDir="$I2/log" -DCacheDir="$I2/cache" -DSpoolDir="$I2/spool" -DInitRunDir="$I2/run")

I2_VALID=no
if timeout 60 icinga2 daemon -C "${I2_ARGS[@]}" >"$I2/validate.log" 2>&1; then
    if grep -Eq 'warning/|critical/' "$I2/validate.log"; then
        fail "icinga2 daemon -C: warnings in the configuration"
        grep -E -A3 'warning/|critical/' "$I2/validate.log" | sed 's/^/      | /' | head -n 20
    else
        n=$(grep -o 'Instantiated [0-9]* CheckCommands' "$I2/validate.log" || true)
        pass "icinga2 daemon -C: packaging/icinga2/certprobe.conf ($n with the ITL), 6 services, no warnings"
    fi
    I2_VALID=yes
else
    fail "icinga2 daemon -C: packaging/icinga2/certprobe.conf"
    grep -E -A6 'critical/|warning/' "$I2/validate.log" | sed 's/^/      | /' | head -n 30
fi

# The CheckCommands and variables the brief promises exist (read from the compiled objects).
if [ "$I2_VALID" = yes ]; then
    want_vars=(host port address sni warning critical timeout timeout_state name_check trust ca_file
        allow_untrusted allow_self_signed allow_empty_san no_revocation revocation_strict require_stapling
        fetch_intermediates protocols ipv4 ipv6 min_key_bits min_tls min_grade cache_dir issuer
        fingerprint serial match info_days max_validity verbose)
    missing_vars=()
    for v in "${want_vars[@]}"; do
        grep -q "\\\$certprobe_$v\\\$" "$ICINGA_CONF" || missing_vars+=("certprobe_$v")
    done
    for c in tls:starttls tls:helo smtp:helo smtp:implicit_tls lmtp:helo lmtp:implicit_tls ldap:ldaps; do
        awk -v c="certprobe_${c%%:*}" -v v="\$certprobe_${c#*:}\$" '
            /^object CheckCommand/ { in_c = ($3 == "\"" c "\"") } in_c && index($0, v) { found = 1 }
            END { exit !found }' "$ICINGA_CONF" || missing_vars+=("certprobe_${c#*:} in certprobe_${c%%:*}")
    done
    for c in scan:config scan:job scan:zone scan:db scan:restart scan:export scan:share scan:unit \
        scan:lease audit:config audit:job audit:zone audit:export audit:db; do
        awk -v c="certprobe_${c%%:*}" -v v="\$certprobe_${c%%:*}_${c#*:}\$" '
            /^object CheckCommand/ { in_c = ($3 == "\"" c "\"") } in_c && index($0, v) { found = 1 }
            END { exit !found }' "$ICINGA_CONF" || missing_vars+=("certprobe_${c%%:*}_${c#*:}")
    done
    for v in db ip host port warning critical max_age max_age_state timeout verbose; do
        awk -v v="\$certprobe_inventory_$v\$" '
            /^object CheckCommand/ { in_c = ($3 == "\"certprobe_inventory\"") } in_c && index($0, v) { found = 1 }
            END { exit !found }' "$ICINGA_CONF" || missing_vars+=("certprobe_inventory_$v")
    done
    if [ ${#missing_vars[@]} -eq 0 ]; then
        pass "certprobe.conf: every certprobe_* variable is mapped"
    else
        fail "certprobe.conf: unmapped variables: ${missing_vars[*]}"
    fi
fi

# --- 5. Icinga 2 for real --------------------------------------------------------------------------
api() { # GET /v1/$1
    curl -k -sSf --max-time 5 -u "certprobe:$API_PASSWORD" -H 'Accept: application/json' "https://127.0.0.1:$API_PORT/v1/$1"
}
API_UP=no
if [ "$I2_VALID" = yes ]; then
    spawn "$I2/daemon.log" icinga2 daemon "${I2_ARGS[@]}"
    ICINGA_PID=$BG_PID
    t0=$SECONDS
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if api status/IcingaApplication >/dev/null 2>&1; then API_UP=yes; break; fi
        kill -0 "$ICINGA_PID" 2>/dev/null || break
        sleep 0.5
    done
    if [ "$API_UP" = yes ]; then
        users=$(ps -o user= --sid "$ICINGA_PID" 2>/dev/null | sort -u | tr '\n' ' ' || true)
        pass "icinga2 daemon runs (session $ICINGA_PID, users: ${users% }), REST API on 127.0.0.1:$API_PORT after $((SECONDS - t0)) s"
    else
        fail "icinga2 daemon: the REST API on 127.0.0.1:$API_PORT did not answer within ${WAIT_SECONDS} s"
        show_log "$I2/daemon.log" 25
    fi
fi

SERVICES=(certprobe_tls certprobe_smtp certprobe_tls_warning certprobe_ldap certprobe_inventory certprobe_file)
RESULT_JSON=$WORK/results.json
if [ "$API_UP" = yes ]; then
    deadline=$((SECONDS + WAIT_SECONDS))
    got=no
    while [ "$SECONDS" -lt "$deadline" ]; do
        if api 'objects/services?attrs=name&attrs=last_check_result' >"$RESULT_JSON.tmp" 2>/dev/null &&
            jq -e --args '[.results[].attrs | select(.name as $n | $ARGS.positional | index($n)) | select(.last_check_result != null)] | length == ($ARGS.positional | length)' \
                "${SERVICES[@]}" <"$RESULT_JSON.tmp" >/dev/null 2>&1; then
            mv "$RESULT_JSON.tmp" "$RESULT_JSON"
            got=yes
            break
        fi
        sleep 1
    done
    if [ "$got" = no ]; then
        fail "icinga2: no check result for ${SERVICES[*]} within ${WAIT_SECONDS} s"
        show_log "$I2/daemon.log" 25
    else
        say "check results after $((SECONDS - START)) s of the run"
    fi
fi

# check_result SERVICE EXIT FIRST_LINE_PREFIX DAYS_THRESHOLDS
check_result() {
    local svc=$1 want=$2 prefix=$3 thresholds=$4 lcr exit_status output first perf cmd problems=()
    lcr=$(jq -c --arg n "$svc" '.results[].attrs | select(.name == $n) | .last_check_result // {}' "$RESULT_JSON" || true)
    exit_status=$(jq -r '.exit_status // "none" | if type == "number" then floor else . end' <<<"$lcr" || true)
    output=$(jq -r '.output // ""' <<<"$lcr" || true)
    first=${output%%$'\n'*}
    perf=$(jq -r '(.performance_data // [])[] | if type == "string" then . else tostring end' <<<"$lcr" || true)
    cmd=$(jq -r '(.command // []) | if type == "array" then join(" ") else . end' <<<"$lcr" || true)
    [ "$exit_status" = "$want" ] || problems+=("exit_status $exit_status, want $want")
    [[ $first == "$prefix"* ]] || problems+=("first line does not start with \"$prefix\"")
    grep -Eq "^days=-?[0-9]+(\.[0-9]+)?;${thresholds//./\\.};;\$" <<<"$perf" ||
        problems+=("no perfdata days=N;${thresholds};;")
    grep -Fxq 'key_bits=256;;;;' <<<"$perf" || problems+=("no perfdata key_bits=256;;;;")
    if [ ${#problems[@]} -eq 0 ]; then
        pass "icinga2 $svc: exit_status $exit_status, \"$first\", perfdata [$(echo $perf)]"
    else
        fail "icinga2 $svc: $(printf '%s / ' "${problems[@]}" | sed 's| / $||')"
        echo "      output:   $first"
        echo "      perfdata: $(echo $perf)"
        echo "      command:  $cmd"
    fi
}
if [ -s "$RESULT_JSON" ]; then
    check_result certprobe_tls 0 "TLS_CERT OK - tls.example:$TLS_PORT 'tls.example' issued by" '30:;7:'
    check_result certprobe_smtp 0 "SMTP_CERT OK - mail.example:$SMTP_PORT" '30:;7:'
    check_result certprobe_tls_warning 1 "TLS_CERT WARNING - tls.example:$TLS_PORT" '300:;7:'
    check_result certprobe_inventory 0 "CERT_INVENTORY OK - tls.example:$TLS_PORT 'tls.example' issued by" '30:;7:'
    check_result certprobe_file 0 "CERT_FILE OK - 'tls.example' issued by 'certprobe test CA'" '30:;7:'
    # The command lines Icinga 2 built from the variables, as the plugins received them
    # (compared as "option value" pairs, in any order).
    check_command_line() { # SERVICE WANT_EXIT JSON_ARRAY_OF_ARGUMENTS
        local svc=$1 want=$2 want_cmd=$3 cmd es pairs
        cmd=$(jq -c --arg n "$svc" '.results[].attrs | select(.name == $n) | .last_check_result.command' "$RESULT_JSON" || true)
        es=$(jq -r --arg n "$svc" '.results[].attrs | select(.name == $n) | .last_check_result.exit_status | floor' "$RESULT_JSON" || true)
        pairs='[.[1:] | foreach .[] as $a ({cur: null};
                 if ($a | startswith("-")) then {cur: $a, out: (if .cur then .cur else null end)}
                 else {cur: null, out: ((.cur // "") + " " + $a)} end; .out)
               | select(. != null)] + [.[-1] | select(startswith("-"))] | sort'
        if [ "$es" = "$want" ] && [ "$(jq -c ".[0]" <<<"$cmd" 2>/dev/null)" = "$(jq -c ".[0]" <<<"$want_cmd")" ] &&
            [ "$(jq -c "$pairs" <<<"$cmd" 2>/dev/null)" = "$(jq -c "$pairs" <<<"$want_cmd")" ]; then
            pass "icinga2 $svc command line (exit_status $es): $(jq -r 'join(" ")' <<<"$cmd")"
        else
            fail "icinga2 $svc command line (exit_status $es, want $want): $(jq -r 'join(" ")' <<<"$cmd" 2>/dev/null || echo "$cmd")"
            echo "      want (any order): $(jq -r 'join(" ")' <<<"$want_cmd")"
        fi
    }
    check_command_line certprobe_tls 0 "$(jq -cn --arg p "$PLUGDIR/check_tls_cert" --arg ca "$CA" --arg port "$TLS_PORT" \
        '[$p, "-H", "tls.example", "-p", $port, "--address", "127.0.0.1", "-t", "10", "-w", "30", "-c", "7",
          "--ca-file", $ca]')"
    check_command_line certprobe_ldap 2 "$(jq -cn --arg p "$PLUGDIR/check_ldap_cert" --arg ca "$CA" \
        --arg ca2 "$PKI/tls.example.pem" --arg port "$CLOSED_PORT" \
        '[$p, "-H", "ldap.example", "-p", $port, "--address", "127.0.0.1", "-t", "5", "-w", "30", "-c", "7",
          "--ca-file", $ca, "--ca-file", $ca2, "--ldaps", "-4", "--no-revocation", "--allow-self-signed",
          "--match", "ldap1.example", "--match", "ldap2.example", "--name-check", "cn-san",
          "--timeout-state", "critical", "-v"]')"
else
    fail "icinga2 check results of ${SERVICES[*]}: none to compare (see above)"
fi

if [ "$API_UP" = yes ]; then
    if grep -Eq 'warning/|critical/' "$I2/daemon.log"; then
        fail "icinga2 daemon log: warnings"
        grep -E 'warning/|critical/' "$I2/daemon.log" | tail -n 10 | sed 's/^/      | /'
    else
        pass "icinga2 daemon log: no warning, no critical"
    fi
fi

# --- summary ------------------------------------------------------------------------------------------
echo
echo "=== tests/integration/icinga2.sh: ${#RESULTS[@]} checks, $FAILED failed, $((SECONDS - START)) s"
printf '%s\n' "${RESULTS[@]}"
if [ "$FAILED" -ne 0 ]; then
    echo "RESULT: FAIL"
    exit 1
fi
echo "RESULT: PASS"
