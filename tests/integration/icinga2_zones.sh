#!/usr/bin/env bash
# A real two-node Icinga 2 (Debian's package) runs a zone's scan on its satellite: a master in
# zone "master" and a satellite in zone "dmz" (its child), two private instances on loopback
# with an API certificate each from one CA, as the cluster docs set them up. The master holds a
# Service with check_command = "certprobe_scan" (packaging/icinga2/certprobe.conf) and
# command_endpoint = the satellite; the satellite runs `certprobe scan --as-check` of job "dmz"
# of its own config against an `openssl s_server` and sends the result back. Checked through
# the master's REST API: the state, the summary line, the perfdata, and that the satellite ran
# it (check_source); and the satellite's inventory holds the endpoint.
#
# Run after `cargo build --release --bins`, as root (Icinga 2 runs as nagios). Uses only
# loopback addresses; everything lives in a temporary folder and every process started here
# is stopped on exit. A missing tool is a failure under CI=true and SKIPPED elsewhere.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
# pass, fail, missing_tool, stop_group, spawn, listening, show_log
# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
RELEASE=$ROOT/target/release
ICINGA_CONF=$ROOT/packaging/icinga2/certprobe.conf
RUN_USER=nagios
RUN_GROUP=nagios
WAIT_SECONDS=90
START=$SECONDS
FAILED=0
RESULTS=()
say() { echo "icinga2_zones.sh: $*"; }

WORK=
PIDS=()
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop_group "$pid"; done
    if [ -n "$WORK" ] && [ "${CERTPROBE_KEEP_TMP:-}" != 1 ]; then rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" -eq 0 ] || missing_tool "tests/integration/icinga2_zones.sh needs root"
for t in icinga2 openssl curl jq setsid timeout; do
    command -v "$t" >/dev/null 2>&1 || missing_tool "$t is not installed (tests/integration/icinga2.sh installs it)"
done
[ -r /etc/icinga2/constants.conf ] || missing_tool "/etc/icinga2/constants.conf (package icinga2) is missing"
getent passwd "$RUN_USER" >/dev/null || missing_tool "user $RUN_USER does not exist"
[ -x "$RELEASE/certprobe" ] || { echo "FAIL  $RELEASE/certprobe not found: run cargo build --release --bins first"; exit 1; }

WORK=$(mktemp -d /tmp/certprobe-icinga2-zones.XXXXXX)
chmod 755 "$WORK"

# spawn, and the process kept to be stopped on exit.
run_bg() {
    spawn "$@"
    PIDS+=("$BG_PID")
}
USED=" "
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 30000))
        case $USED in *" $p "*) continue ;; esac
        if ! listening "$p"; then USED="$USED$p "; PORT=$p; return 0; fi
    done
    echo "no free port" >&2
    exit 1
}

MASTER=master.localhost
SATELLITE=dmz.localhost
free_port; MASTER_PORT=$PORT
free_port; SATELLITE_PORT=$PORT
free_port; TLS_PORT=$PORT

# --- the PKI: one CA, an API certificate per node (CN = its name), the scanned server's ---------
PKI=$WORK/pki
mkdir -m 755 "$PKI"
(
    cd "$PKI"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=certprobe zones test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
    for name in "$MASTER" "$SATELLITE" web.dmz.example; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key"
        openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr"
        printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$name" >"$name.ext"
        openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 90 \
            -extfile "$name.ext" -out "$name.pem"
    done
    chmod 644 ./*.pem
    chmod 600 ./*.key
) >"$WORK/pki.log" 2>&1 || { fail "the test PKI"; show_log "$WORK/pki.log"; exit 1; }

run_bg "$WORK/s_server.log" openssl s_server -quiet -accept "127.0.0.1:$TLS_PORT" \
    -cert "$PKI/web.dmz.example.pem" -key "$PKI/web.dmz.example.key" -naccept 1000

# --- the satellite's certprobe: its job, and an inventory the nagios user writes --------------
SCAN=$WORK/scanner
install -d -m 755 "$SCAN"
install -d -m 750 -o "$RUN_USER" -g "$RUN_GROUP" "$SCAN/inventory"
cat >"$SCAN/certprobe.toml" <<EOF
[defaults]
ca_files = ["$PKI/ca.pem"]
timeout = "5s"

[[job]]
name = "dmz"
targets = ["127.0.0.1"]
ports = ["$TLS_PORT"]
EOF
chmod 644 "$SCAN/certprobe.toml"

# --- two Icinga 2 instances ----------------------------------------------------------------------
API_PASSWORD=$(openssl rand -hex 16)
ZONES="object Endpoint \"$MASTER\" { }
object Endpoint \"$SATELLITE\" { host = \"127.0.0.1\"; port = $SATELLITE_PORT }
object Zone \"master\" { endpoints = [ \"$MASTER\" ] }
object Zone \"dmz\" { endpoints = [ \"$SATELLITE\" ]; parent = \"master\" }"

# instance NAME NODE PORT ACCEPT_COMMANDS EXTRA_CONFIG: its folders, certificates and config.
instance() {
    local dir=$WORK/$1 node=$2 port=$3 accept=$4 extra=$5 d
    mkdir -m 755 "$dir" "$dir/etc"
    for d in data data/certs log cache spool run; do install -d -m 750 -o "$RUN_USER" -g "$RUN_GROUP" "$dir/$d"; done
    install -m 644 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/$node.pem" "$dir/data/certs/$node.crt"
    install -m 600 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/$node.key" "$dir/data/certs/$node.key"
    install -m 644 -o "$RUN_USER" -g "$RUN_GROUP" "$PKI/ca.pem" "$dir/data/certs/ca.crt"
    {
        grep -v '^[[:space:]]*const[[:space:]]\+PluginDir[[:space:]]*=' /etc/icinga2/constants.conf
        printf 'const PluginDir = "%s"\n' "/usr/lib/nagios/plugins"
    } >"$dir/etc/constants.conf"
    # certprobe.conf calls /usr/bin/certprobe: the instance's copy points at this build.
    sed "s|\"/usr/bin/certprobe\"|\"$RELEASE/certprobe\"|" "$ICINGA_CONF" >"$dir/etc/certprobe.conf"
    cat >"$dir/etc/icinga2.conf" <<EOF
include "constants.conf"
include <itl>
include <plugins>
include "certprobe.conf"

$ZONES

object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = $port
  accept_config = false
  accept_commands = $accept
}
$extra
EOF
    chmod 644 "$dir/etc/"*
}
instance satellite "$SATELLITE" "$SATELLITE_PORT" true ''
instance master "$MASTER" "$MASTER_PORT" false "
object CheckerComponent \"checker\" { }
object ApiUser \"certprobe\" {
  password = \"$API_PASSWORD\"
  permissions = [ \"status/query\", \"objects/query/*\" ]
}
object Host \"$SATELLITE\" {
  zone = \"master\"
  check_command = \"dummy\"
  address = \"127.0.0.1\"
  check_interval = 5m
}
object Service \"cert-scan-dmz\" {
  zone = \"master\"
  host_name = \"$SATELLITE\"
  check_command = \"certprobe_scan\"
  command_endpoint = \"$SATELLITE\"
  vars.certprobe_scan_config = \"$SCAN/certprobe.toml\"
  vars.certprobe_scan_db = \"$SCAN/inventory/inventory.sqlite\"
  vars.certprobe_scan_job = \"dmz\"
  vars.certprobe_scan_zone = \"dmz\"
  max_check_attempts = 1
  check_interval = 1h
  retry_interval = 1h
}"

args() { # the instance's paths, as Debian's service sets them
    local dir=$WORK/$1
    echo -c "$dir/etc/icinga2.conf" -DNodeName="$2" -DZoneName="$3" -DRunAsUser="$RUN_USER" -DRunAsGroup="$RUN_GROUP" \
        -DDataDir="$dir/data" -DLogDir="$dir/log" -DCacheDir="$dir/cache" -DSpoolDir="$dir/spool" -DInitRunDir="$dir/run"
}
# shellcheck disable=SC2046
for node in "satellite $SATELLITE dmz" "master $MASTER master"; do
    set -- $node
    if timeout 60 icinga2 daemon -C $(args "$1" "$2" "$3") >"$WORK/$1.validate.log" 2>&1 &&
        ! grep -Eq 'warning/|critical/' "$WORK/$1.validate.log"; then
        pass "icinga2 daemon -C: the $1 ($2, zone $3) with packaging/icinga2/certprobe.conf, no warnings"
    else
        fail "icinga2 daemon -C: the $1"
        grep -E -A4 'warning/|critical/' "$WORK/$1.validate.log" | head -n 20 | sed 's/^/      | /'
        exit 1
    fi
done
# shellcheck disable=SC2046
run_bg "$WORK/satellite.log" icinga2 daemon $(args satellite "$SATELLITE" dmz)
# shellcheck disable=SC2046
run_bg "$WORK/master.log" icinga2 daemon $(args master "$MASTER" master)

api() { curl -k -sSf --max-time 5 -u "certprobe:$API_PASSWORD" -H 'Accept: application/json' "https://127.0.0.1:$MASTER_PORT/v1/$1"; }
t0=$SECONDS
connected=no
for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if api "objects/endpoints/$SATELLITE?attrs=connected" 2>/dev/null | jq -e '.results[0].attrs.connected == true' >/dev/null 2>&1; then
        connected=yes
        break
    fi
    sleep 0.5
done
if [ "$connected" = yes ]; then
    pass "the master ($MASTER, 127.0.0.1:$MASTER_PORT) is connected to the satellite ($SATELLITE, :$SATELLITE_PORT) after $((SECONDS - t0)) s"
else
    fail "the master and the satellite did not connect within ${WAIT_SECONDS} s"
    show_log "$WORK/master.log"
    show_log "$WORK/satellite.log"
    exit 1
fi

# The first check runs when the satellite is reachable; ask for it now rather than wait.
RESULT=$WORK/result.json
got=no
for ((i = 0; i < WAIT_SECONDS; i++)); do
    if api "objects/services/$SATELLITE!cert-scan-dmz?attrs=last_check_result" >"$RESULT" 2>/dev/null &&
        jq -e '.results[0].attrs.last_check_result.output // empty | test("^CERT_SCAN ")' "$RESULT" >/dev/null 2>&1; then
        got=yes
        break
    fi
    sleep 1
done
if [ "$got" = no ]; then
    fail "no result of cert-scan-dmz within ${WAIT_SECONDS} s"
    jq -c '.results[0].attrs.last_check_result' "$RESULT" 2>/dev/null | head -c 600
    show_log "$WORK/master.log"
    show_log "$WORK/satellite.log"
    exit 1
fi
lcr=$(jq -c '.results[0].attrs.last_check_result' "$RESULT")
exit_status=$(jq -r '.exit_status | floor' <<<"$lcr")
source=$(jq -r '.check_source' <<<"$lcr")
output=$(jq -r '.output' <<<"$lcr")
perf=$(jq -r '(.performance_data // []) | map(if type == "string" then . else tostring end) | join(" ")' <<<"$lcr")
command=$(jq -r '.command | join(" ")' <<<"$lcr")
if [ "$exit_status" = 0 ] && [ "$source" = "$SATELLITE" ] &&
    [[ ${output% } == "CERT_SCAN OK - job 'dmz' done: 1 endpoints in "*" s, 1 served a certificate, 0 answered without one, 0 did not answer" ]] &&
    [[ $perf == "endpoints=1;;;0 certificates=1;;;0 without_certificate=0;;;0 silent=0;;;0 unresolved=0;;;0 duration="*"s;;;0" ]]; then
    pass "cert-scan-dmz ran on the satellite (check_source $source): exit_status 0, \"$output\", perfdata [$perf]"
else
    fail "cert-scan-dmz: exit_status $exit_status, check_source $source, output \"$output\", perfdata [$perf]"
    echo "      command: $command"
fi
want_command="$RELEASE/certprobe scan --as-check --config $SCAN/certprobe.toml --job dmz --zone dmz"
if [ "$command" = "$want_command" ]; then
    pass "cert-scan-dmz command line: $command"
else
    fail "cert-scan-dmz command line: $command (want $want_command)"
fi
# What the satellite scanned is in its inventory, in zone dmz, as the nagios user wrote it.
endpoints=$(runuser -u "$RUN_USER" -- "$RELEASE/certprobe" --db "$SCAN/inventory/inventory.sqlite" inventory endpoints --format json 2>&1 |
    jq -r '.[] | [.endpoint, .zone, .job, .state, .subject] | join(" ")' 2>&1)
if [ "$endpoints" = "127.0.0.1:$TLS_PORT dmz dmz OK web.dmz.example" ]; then
    pass "the satellite's inventory: $endpoints"
else
    fail "the satellite's inventory: $endpoints"
fi
# The master's first attempts to connect may come before the satellite listens (ApiListener).
for node in master satellite; do
    if grep -E 'critical/' "$WORK/$node.log" | grep -v 'ApiListener' >/dev/null; then
        fail "icinga2 $node log: critical messages"
        grep -E 'critical/' "$WORK/$node.log" | tail -n 5 | sed 's/^/      | /'
    else
        pass "icinga2 $node log: no critical message"
    fi
done

echo
echo "=== tests/integration/icinga2_zones.sh: ${#RESULTS[@]} checks, $FAILED failed, $((SECONDS - START)) s"
printf '%s\n' "${RESULTS[@]}"
if [ "$FAILED" -ne 0 ]; then
    echo "RESULT: FAIL"
    exit 1
fi
echo "RESULT: PASS"
