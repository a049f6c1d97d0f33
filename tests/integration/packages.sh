#!/usr/bin/env bash
# The Linux packages, end to end (CI, as root, on Debian/Ubuntu amd64): builds them with
# packaging/linux/build.sh, installs the .deb, runs the installed plugin against a loopback
# openssl s_server, finds its man page, removes the package, and checks the .rpm's file list.
# One PASS/FAIL line per check; exits non-zero when any check fails. Leaves certprobe
# uninstalled.
#
#   tests/integration/packages.sh
set -euo pipefail

cd "$(dirname "$0")/../.."

failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
info() { echo "packages.sh: $*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "packages.sh: must run as root (installs packages)" >&2
    exit 1
fi

# --- what the test needs ------------------------------------------------------------------
missing=()
command -v rpmbuild >/dev/null 2>&1 || missing+=(rpm)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v man >/dev/null 2>&1 || missing+=(man-db)
if [ ${#missing[@]} -gt 0 ]; then
    info "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

installed() { [ "$(dpkg-query -W -f='${Status}' certprobe 2>/dev/null || true)" = "install ok installed" ]; }

work=$(mktemp -d /tmp/certprobe-packages.XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    # The package the test installed goes, with its configuration, also when a check failed.
    if dpkg-query -W certprobe >/dev/null 2>&1; then
        dpkg -P certprobe >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------
version=$(awk '
    /^\[/ { section = $0; next }
    section == "[workspace.package]" && $1 == "version" {
        gsub(/[" ]/, "", $0); sub(/^version=/, "", $0); print; exit
    }' Cargo.toml)
plugins=(check_tls_cert check_smtp_cert check_lmtp_cert check_ldap_cert)
deb=dist/certprobe_${version}_amd64.deb
rpm=dist/certprobe-${version}-1.x86_64.rpm
rm -f "$deb" "$rpm"

start=$(date +%s)
if packaging/linux/build.sh; then
    pass "packaging/linux/build.sh ($(($(date +%s) - start)) s)"
else
    fail "packaging/linux/build.sh exited $?"
    echo "packages.sh: $failures check(s) failed"
    exit 1
fi
[ -f "$deb" ] && pass "$deb built" || fail "$deb not built"
[ -f "$rpm" ] && pass "$rpm built" || fail "$rpm not built"

# --- the .deb -----------------------------------------------------------------------------
# Minimal images (debian:*-slim) exclude /usr/share/man from every dpkg install; the man page
# check is about the package, so include ours explicitly there.
dpkg_opts=()
if grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/; then
    info "dpkg excludes /usr/share/man on this machine; including certprobe's man pages"
    dpkg_opts+=("--path-include=/usr/share/man/man1/check_*")
fi
if dpkg -i "${dpkg_opts[@]}" dist/certprobe_*.deb >"$work/dpkg-i.log" 2>&1; then
    pass "dpkg -i $deb"
else
    cat "$work/dpkg-i.log"
    fail "dpkg -i $deb"
fi

plugin=/usr/lib/nagios/plugins/check_tls_cert
for p in "${plugins[@]}"; do
    f=/usr/lib/nagios/plugins/$p
    if [ -x "$f" ] && [ "$(stat -c %a "$f")" = 755 ]; then
        pass "$f installed, mode 0755"
    else
        fail "$f missing or not mode 0755"
    fi
done

set +e
out=$("$plugin" --version 2>&1)
rc=$?
set -e
if [ "$out" = "check_tls_cert $version" ] && [ $rc = 3 ]; then
    pass "$plugin --version: '$out', exit 3"
else
    fail "$plugin --version: '$out', exit $rc (expected 'check_tls_cert $version', exit 3)"
fi

# A self-signed server certificate for pkg.example, served by openssl s_server on loopback.
cat >"$work/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no
[dn]
CN = pkg.example
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:pkg.example
subjectKeyIdentifier = hash
EOF
openssl req -x509 -new -config "$work/openssl.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -days 200 -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/req.log" ||
    {
        cat "$work/req.log"
        fail "openssl req (self-signed certificate for pkg.example)"
    }

port=
for _ in $(seq 20); do
    candidate=$((20000 + RANDOM % 20000))
    openssl s_server -www -accept "127.0.0.1:$candidate" -cert "$work/cert.pem" \
        -key "$work/key.pem" </dev/null >"$work/s_server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            port=$candidate
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$port" ] && break
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
done

if [ -z "$port" ]; then
    cat "$work/s_server.log"
    fail "openssl s_server did not start"
else
    set +e
    out=$("$plugin" -H pkg.example --address 127.0.0.1 -p "$port" --allow-self-signed --no-revocation 2>&1)
    rc=$?
    set -e
    first=$(printf '%s\n' "$out" | head -n 1)
    if [ $rc = 0 ] && [[ $first == "TLS_CERT OK - pkg.example:$port"* ]]; then
        pass "installed check_tls_cert against s_server: exit 0, '$first'"
    else
        printf '%s\n' "$out"
        fail "installed check_tls_cert against s_server: exit $rc, '$first' (expected exit 0, 'TLS_CERT OK - pkg.example:$port ...')"
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
fi

if command -v man >/dev/null; then
    page=$(man -w check_tls_cert 2>/dev/null || true)
    if [ "$page" = /usr/share/man/man1/check_tls_cert.1.gz ]; then
        pass "man -w check_tls_cert: $page"
    else
        fail "man -w check_tls_cert: '$page' (expected /usr/share/man/man1/check_tls_cert.1.gz)"
    fi
else
    if [ -f /usr/share/man/man1/check_tls_cert.1.gz ]; then
        pass "/usr/share/man/man1/check_tls_cert.1.gz installed (no man command)"
    else
        fail "/usr/share/man/man1/check_tls_cert.1.gz not installed"
    fi
fi

if dpkg -r certprobe >"$work/dpkg-r.log" 2>&1; then
    pass "dpkg -r certprobe"
else
    cat "$work/dpkg-r.log"
    fail "dpkg -r certprobe"
fi
if [ ! -e "$plugin" ] && ! installed; then
    pass "$plugin gone after dpkg -r"
else
    fail "$plugin still there after dpkg -r"
fi

if dpkg -P certprobe >"$work/dpkg-P.log" 2>&1 && ! dpkg-query -W certprobe >/dev/null 2>&1 &&
    [ ! -e /etc/nagios-plugins/config/certprobe.cfg ]; then
    pass "dpkg -P certprobe: no trace left (configuration purged)"
else
    cat "$work/dpkg-P.log"
    fail "dpkg -P certprobe left the package or its configuration behind"
fi

# --- the .rpm -----------------------------------------------------------------------------
if [ -f "$rpm" ] && rpm -qlp "$rpm" >"$work/rpm-files" 2>"$work/rpm-ql.log"; then
    expected=()
    for p in "${plugins[@]}"; do expected+=("/usr/lib64/nagios/plugins/$p"); done
    expected+=(/usr/share/man/man1/check_tls_cert.1.gz)
    for f in "${expected[@]}"; do
        if grep -qxF "$f" "$work/rpm-files"; then
            pass "rpm -qlp lists $f"
        else
            fail "rpm -qlp does not list $f"
        fi
    done
else
    cat "$work/rpm-ql.log" 2>/dev/null || true
    fail "rpm -qlp $rpm"
fi

if [ $failures -gt 0 ]; then
    echo "packages.sh: $failures check(s) failed"
    exit 1
fi
echo "packages.sh: all checks passed"
