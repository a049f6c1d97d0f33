#!/usr/bin/env bash
# The Linux packages, end to end (CI, as root, on Debian/Ubuntu amd64): builds them with
# packaging/linux/build.sh, installs the .deb, runs the installed plugin and the installed
# certprobe command against a loopback openssl s_server (a scan into an inventory, then
# check_cert_inventory over it, also as the units' user and a monitoring user would), finds the
# man pages (every program's and certprobe's subcommands') and the completions, verifies the
# installed systemd units, checks the system user, the state folder and the conffile, removes
# and purges the package (what stays: the conffiles and the inventory after dpkg -r, only the
# system user after dpkg -P), and checks the .rpm's file list. One PASS/FAIL line per check;
# exits non-zero when any check fails. Leaves certprobe uninstalled, and the certprobe user
# removed when the test created it.
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
# Runs a command that may fail: its output (stdout and stderr) in $out, its exit code in $rc.
capture() {
    set +e
    out=$("$@" 2>&1)
    rc=$?
    set -e
}
# After capture: passes WHAT when it exited 0 and its first line starts with PREFIX, else
# prints the output and fails, showing EXPECTED (PREFIX... unless given).
first_line_ok() {
    local what=$1 prefix=$2 expected=${3:-$2...} first
    # The first line by expansion: `printf | head` dies of SIGPIPE under pipefail when head
    # exits before printf has written a long output.
    first=${out%%$'\n'*}
    if [ $rc = 0 ] && [[ $first == "$prefix"* ]]; then
        pass "$what: exit 0, '$first'"
    else
        printf '%s\n' "$out"
        fail "$what: exit $rc, '$first' (expected exit 0, '$expected')"
    fi
}

if [ "$(id -u)" -ne 0 ]; then
    echo "packages.sh: must run as root (installs packages)" >&2
    exit 1
fi

# --- what the test needs ------------------------------------------------------------------
missing=()
command -v rpmbuild >/dev/null 2>&1 || missing+=(rpm)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
    info "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

status() { dpkg-query -W -f='${Status}' certprobe 2>/dev/null || true; }
installed() { [ "$(status)" = "install ok installed" ]; }

# The package's system user stays after a purge (as Debian keeps system users); the test
# removes it at the end when it was not there before.
user_before=0
if getent passwd certprobe >/dev/null; then user_before=1; fi

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
    if [ $user_before = 0 ] && getent passwd certprobe >/dev/null; then
        userdel certprobe >/dev/null 2>&1 || true
    fi
    if [ $user_before = 0 ] && getent group certprobe >/dev/null; then
        groupdel certprobe >/dev/null 2>&1 || true
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
plugins=(check_tls_cert check_smtp_cert check_lmtp_cert check_ldap_cert check_cert_inventory check_cert_file)
# The man pages examples/gen_docs.rs writes: one per program, and certprobe's subcommands'
# (named as git's are: certprobe-scan(1), certprobe-inventory-where(1)).
documented=("${plugins[@]}" certprobe)
subcommand_pages=(certprobe-scan certprobe-inventory certprobe-inventory-certificates certprobe-inventory-where
    certprobe-inventory-endpoints certprobe-inventory-history certprobe-inventory-runs certprobe-inventory-export
    certprobe-inventory-cleanup certprobe-daemon certprobe-audit)
units=(certprobe-daemon.service certprobe-scan@.service certprobe-scan@.timer certprobe-audit@.service certprobe-audit@.timer)
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
for f in "$deb" "$rpm"; do
    if [ -f "$f" ]; then pass "$f built"; else fail "$f not built"; fi
done

# --- the .deb -----------------------------------------------------------------------------
# Minimal images (debian:*-slim) exclude /usr/share/man from every dpkg install; the man page
# check is about the package, so include ours explicitly there.
dpkg_opts=()
if grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/; then
    info "dpkg excludes /usr/share/man on this machine; including certprobe's man pages"
    dpkg_opts+=("--path-include=/usr/share/man/man1/check_*" "--path-include=/usr/share/man/man1/certprobe*")
fi
if dpkg -i "${dpkg_opts[@]}" dist/certprobe_*.deb >"$work/dpkg-i.log" 2>&1; then
    pass "dpkg -i $deb"
else
    cat "$work/dpkg-i.log"
    fail "dpkg -i $deb"
fi

plugin=/usr/lib/nagios/plugins/check_tls_cert
dpkg -L certprobe >"$work/deb-files" 2>/dev/null || true
executables=()
for p in "${plugins[@]}"; do executables+=("/usr/lib/nagios/plugins/$p"); done
executables+=(/usr/bin/certprobe)
for f in "${executables[@]}"; do
    if [ -x "$f" ] && [ "$(stat -c %a "$f")" = 755 ]; then
        pass "$f installed, mode 0755"
    else
        fail "$f missing or not mode 0755"
    fi
done

capture "$plugin" --version
if [ "$out" = "check_tls_cert $version" ] && [ $rc = 3 ]; then
    pass "$plugin --version: '$out', exit 3"
else
    fail "$plugin --version: '$out', exit $rc (expected 'check_tls_cert $version', exit 3)"
fi

capture certprobe --version
if [ "$out" = "certprobe $version" ] && [ $rc = 0 ] && [ "$(command -v certprobe)" = /usr/bin/certprobe ]; then
    pass "certprobe --version: '$out', exit 0 (/usr/bin/certprobe on PATH)"
else
    fail "certprobe --version: '$out', exit $rc, found at '$(command -v certprobe || true)' (expected 'certprobe $version', exit 0, /usr/bin/certprobe)"
fi

# The system user and its state folder (postinst), the units and the sysusers file.
account=$(getent passwd certprobe || true)
uid=$(printf '%s' "$account" | cut -d: -f3)
shell=$(printf '%s' "$account" | cut -d: -f7)
if [ -n "$account" ] && [ "$uid" -lt 1000 ] && getent group certprobe >/dev/null &&
    [[ $shell == */nologin || $shell == /bin/false ]]; then
    pass "system user certprobe: uid $uid, shell $shell, group certprobe"
else
    fail "system user certprobe: '$account' (expected a system user with group certprobe and no login shell)"
fi
state=$(stat -c '%U:%G %a' /var/lib/certprobe 2>/dev/null || true)
if [ "$state" = "certprobe:certprobe 750" ]; then
    pass "/var/lib/certprobe: $state"
else
    fail "/var/lib/certprobe: '$state' (expected certprobe:certprobe 750)"
fi
installed_units=()
for u in "${units[@]}"; do installed_units+=("/lib/systemd/system/$u"); done
for f in "${installed_units[@]}" /usr/lib/sysusers.d/certprobe.conf /usr/share/snmp/mibs/CERTPROBE-MIB.txt; do
    if [ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ]; then
        pass "$f installed, mode 0644"
    else
        fail "$f missing or not mode 0644"
    fi
done
# By unit name: systemd finds them where the package put them, and checks that the
# ExecStart= binaries exist.
if command -v systemd-analyze >/dev/null; then
    verify=(certprobe-daemon.service certprobe-scan@pkg.service certprobe-scan@pkg.timer certprobe-audit@pkg.service certprobe-audit@pkg.timer)
    if systemd-analyze verify --man=no "${verify[@]}" >"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
        pass "systemd-analyze verify ${verify[*]}"
    else
        cat "$work/verify.log"
        fail "systemd-analyze verify ${verify[*]}"
    fi
else
    fail "systemd-analyze is missing (Debian package systemd)"
fi
enabled=$(find /etc/systemd/system -lname '*certprobe*' 2>/dev/null || true)
if [ -z "$enabled" ] && ! pgrep -x certprobe >/dev/null; then
    pass "installing enabled no certprobe unit and started no certprobe process"
else
    fail "installing enabled or started something: '$enabled' $(pgrep -a -x certprobe || true)"
fi

# The example config: a conffile, the README's example commented out, refused (exit 2, the
# exit the daemon unit does not restart on) until it has jobs.
config=/etc/certprobe/certprobe.toml
conffiles=$(dpkg-query -W -f='${Conffiles}\n' certprobe 2>/dev/null | awk 'NF { print $1 }')
is_conffile() {
    local c
    while IFS= read -r c; do [ "$c" != "$1" ] || return 0; done <<<"$conffiles"
    return 1
}
if is_conffile "$config"; then
    pass "$config is a conffile ($(printf '%s' "$conffiles" | tr '\n' ' '))"
else
    fail "$config is not among the conffiles: '$conffiles'"
fi
awk '/^```toml$/ { inside = 1; next } inside && /^```/ { exit } inside' README.md >"$work/readme.toml"
sed -n '/^$/,$p' "$config" 2>/dev/null | sed -e '1d' -e 's/^# //' -e 's/^#$//' >"$work/uncommented.toml"
if [ -s "$work/readme.toml" ] && cmp -s "$work/readme.toml" "$work/uncommented.toml" &&
    ! grep -q '^[^#]' <(sed -n '/^$/,$p' "$config"); then
    pass "$config is the README's config example, commented out"
else
    diff "$work/readme.toml" "$work/uncommented.toml" || true
    fail "$config is not the README's config example, commented out"
fi
capture certprobe --db "$work/daemon.sqlite" daemon --config "$config"
if [ $rc = 2 ] && [[ $out == *"the config has no [[job]]"* ]] && [ ! -e "$work/daemon.sqlite" ]; then
    pass "certprobe daemon --config $config (the daemon unit's command): exit 2, '$out'"
else
    fail "certprobe daemon --config $config: exit $rc, '$out' (expected exit 2, 'the config has no [[job]]', no inventory)"
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
    capture "$plugin" -H pkg.example --address 127.0.0.1 -p "$port" --allow-self-signed --no-revocation
    first_line_ok "installed check_tls_cert against s_server" "TLS_CERT OK - pkg.example:$port" \
        "TLS_CERT OK - pkg.example:$port ..."

    # A scan into an inventory, the inventory's endpoints, and check_cert_inventory over it.
    db=$work/x.sqlite
    capture certprobe --db "$db" scan --targets 127.0.0.1 --ports "$port" --ca-file "$work/cert.pem"
    if [ $rc = 0 ] && [[ $out == "job 'adhoc' done: 1 endpoints in "*": 1 served a certificate, "* ]]; then
        pass "certprobe --db $db scan --targets 127.0.0.1 --ports $port: exit 0, '$out'"
    else
        fail "certprobe scan: exit $rc, '$out' (expected exit 0, 'job 'adhoc' done: 1 endpoints ... 1 served a certificate')"
    fi
    capture certprobe --db "$db" inventory endpoints --format csv
    # CSV rows end in CRLF (RFC 4180).
    line=$(printf '%s\n' "$out" | grep -F "127.0.0.1:$port," | tr -d '\r' || true)
    expected="127.0.0.1:$port,adhoc,OK,*,\"'pkg.example' issued by 'pkg.example' expires in * days on *, ECDSA P-256\""
    # shellcheck disable=SC2053 # $expected is a pattern
    if [ $rc = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 2 ] && [[ $line == $expected ]]; then
        pass "certprobe inventory endpoints --format csv: '$line'"
    else
        printf '%s\n' "$out"
        fail "certprobe inventory endpoints --format csv: exit $rc, no line like '$expected'"
    fi
    db_option=yes
    inventory_check() {
        local who=$1 expected="CERT_INVENTORY OK - 127.0.0.1:$port 'pkg.example' issued by 'pkg.example' expires in "
        shift
        capture "$@" /usr/lib/nagios/plugins/check_cert_inventory ${db_option:+--db "$db"} --ip 127.0.0.1 -p "$port"
        first_line_ok "check_cert_inventory $who" "$expected"
    }
    inventory_check "--db $db --ip 127.0.0.1 -p $port"

    # As the units run it: the user certprobe, umask 0027, the inventory in the state folder;
    # read by a monitoring user in the group certprobe (nobody with that group here).
    db=/var/lib/certprobe/inventory.sqlite
    chmod 0711 "$work"
    chmod 0644 "$work/cert.pem"
    capture runuser -u certprobe -- sh -c 'umask 0027 && exec "$@"' sh \
        env CERTPROBE_DB="$db" certprobe scan --targets 127.0.0.1 --ports "$port" --ca-file "$work/cert.pem"
    if [ $rc = 0 ] && [ "$(stat -c '%U:%G %a' "$db" 2>/dev/null)" = "certprobe:certprobe 640" ]; then
        pass "certprobe scan as user certprobe (umask 0027) into $db: exit 0, $(stat -c '%U:%G %a' "$db")"
    else
        fail "certprobe scan as user certprobe into $db: exit $rc, '$out', $(stat -c '%U:%G %a' "$db" 2>&1)"
    fi
    gid=$(getent group certprobe | cut -d: -f3)
    inventory_check "as nobody in group certprobe, --db $db" \
        setpriv --reuid=nobody --regid=nogroup --groups="${gid:-0}"
    # Without --db, a user with no inventory of their own reads the system one; a user
    # outside the group is told that it may not, not that there is none.
    db_option=
    inventory_check "as nobody in group certprobe, no --db, no inventory of its own" \
        setpriv --reuid=nobody --regid=nogroup --groups="${gid:-0}" env HOME=/nonexistent
    db_option=yes
    capture setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent \
        /usr/lib/nagios/plugins/check_cert_inventory --ip 127.0.0.1 -p "$port"
    expected="CERT_INVENTORY UNKNOWN - cannot open the inventory $db: permission denied"
    if [ $rc = 3 ] && [ "$out" = "$expected" ]; then
        pass "check_cert_inventory as nobody outside group certprobe: exit 3, '$out'"
    else
        fail "check_cert_inventory as nobody outside group certprobe: exit $rc, '$out' (expected exit 3, '$expected')"
    fi

    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
fi

man_found() { # man_found WORDS... EXPECTED: man -w WORDS finds EXPECTED
    local expected=${*: -1} found
    found=$(man -w "${@:1:$#-1}" 2>/dev/null || true)
    if [ "$found" = "$expected" ]; then
        pass "man -w ${*:1:$#-1}: $found"
    else
        fail "man -w ${*:1:$#-1}: '$found' (expected $expected)"
    fi
}
if command -v man >/dev/null; then
    for p in "${documented[@]}" "${subcommand_pages[@]}"; do
        man_found "$p" "/usr/share/man/man1/$p.1.gz"
    done
    # man-db joins a command and its subcommand (two words) as for git's pages: man certprobe scan.
    man_found certprobe scan /usr/share/man/man1/certprobe-scan.1.gz
    man_found certprobe inventory /usr/share/man/man1/certprobe-inventory.1.gz
    # The pages render without groff warnings, and the hidden option stays out of them.
    for p in certprobe certprobe-scan certprobe-daemon check_cert_inventory; do
        warnings=$(MANWIDTH=80 man --warnings "$p" 2>&1 >"$work/page.txt" || true)
        if [ -z "$warnings" ] && grep -q '^SEE ALSO' "$work/page.txt" && ! grep -q -e '--test-clock' "$work/page.txt"; then
            pass "man $p: renders without warnings, has SEE ALSO, no hidden option"
        else
            fail "man $p: warnings '$warnings', SEE ALSO $(grep -c '^SEE ALSO' "$work/page.txt"), --test-clock $(grep -c -e '--test-clock' "$work/page.txt")"
        fi
    done
    # The units' Documentation=man:PAGE(1) are installed pages.
    unit_pages=$(sed -n 's/^Documentation=//p' "${installed_units[@]}" | tr ' ' '\n' |
        sed -n 's/^man:\(.*\)(1)$/\1/p' | sort -u | paste -sd ' ')
    absent=()
    for d in $unit_pages; do man -w "$d" >/dev/null 2>&1 || absent+=("$d"); done
    if [ -n "$unit_pages" ] && [ ${#absent[@]} = 0 ]; then
        pass "the units' Documentation= man pages are installed: $unit_pages"
    else
        fail "the units' Documentation= man pages '$unit_pages': ${absent[*]:-none} not found"
    fi
else
    for p in "${documented[@]}" "${subcommand_pages[@]}"; do
        if [ -f "/usr/share/man/man1/$p.1.gz" ]; then
            pass "/usr/share/man/man1/$p.1.gz installed (no man command)"
        else
            fail "/usr/share/man/man1/$p.1.gz not installed"
        fi
    done
fi
# Completions for every program, without the hidden options (certprobe daemon --test-clock).
for p in "${documented[@]}"; do
    files=("/usr/share/bash-completion/completions/$p" "/usr/share/zsh/vendor-completions/_$p"
        "/usr/share/fish/vendor_completions.d/$p.fish")
    ok=1
    for f in "${files[@]}"; do
        if [ ! -s "$f" ] || grep -q -e 'test-clock' "$f"; then ok=0; fi
    done
    if [ $ok = 1 ]; then
        pass "completions of $p installed (bash, zsh, fish), no hidden option"
    else
        fail "completions of $p: $(ls -l "${files[@]}" 2>&1 | tr '\n' ' ')"
    fi
done
words=$(bash -c 'source /usr/share/bash-completion/completions/certprobe
    COMP_WORDS=(certprobe daemon --); COMP_CWORD=2; _certprobe certprobe -- daemon; echo "${COMPREPLY[*]}"' 2>&1)
if [[ " $words " == *" --config "* ]] && [[ " $words " != *test-clock* ]]; then
    pass "bash completes 'certprobe daemon --': $words"
else
    fail "bash completes 'certprobe daemon --': '$words' (expected --config, not --test-clock)"
fi

# Removal: dpkg -r leaves the conffiles and the inventory (/var/lib/certprobe), dpkg -P
# removes those too; the system user stays (Debian does not remove system users, files
# owned by its uid may remain elsewhere). Directories are left only when another package
# owns them.
if dpkg -r certprobe >"$work/dpkg-r.log" 2>&1; then
    pass "dpkg -r certprobe"
else
    cat "$work/dpkg-r.log"
    fail "dpkg -r certprobe"
fi
left=()
while IFS= read -r f; do
    if [ -e "$f" ] && [ ! -d "$f" ] && ! is_conffile "$f"; then left+=("$f"); fi
done <"$work/deb-files"
kept=()
while IFS= read -r f; do [ -z "$f" ] || [ -f "$f" ] || kept+=("$f (gone)"); done <<<"$conffiles"
if [ "$(status)" = "deinstall ok config-files" ] && [ ${#left[@]} = 0 ] && [ ${#kept[@]} = 0 ] &&
    [ -f /var/lib/certprobe/inventory.sqlite ]; then
    pass "after dpkg -r: every file gone but the conffiles ($(printf '%s' "$conffiles" | tr '\n' ' ')) and the inventory in /var/lib/certprobe"
else
    fail "after dpkg -r: status '$(status)', left: ${left[*]:-nothing}; conffiles: ${kept[*]:-kept}; /var/lib/certprobe: $(find /var/lib/certprobe 2>&1 | tr '\n' ' ')"
fi

if dpkg -P certprobe >"$work/dpkg-P.log" 2>&1 && ! dpkg-query -W certprobe >/dev/null 2>&1; then
    pass "dpkg -P certprobe"
else
    cat "$work/dpkg-P.log"
    fail "dpkg -P certprobe"
fi
left=()
while IFS= read -r f; do
    if [ -z "$f" ] || [ "$f" = /. ] || [ ! -e "$f" ]; then continue; fi
    if [ ! -d "$f" ] || ! dpkg -S "$f" >/dev/null 2>&1; then left+=("$f"); fi
done < <(cat "$work/deb-files"; echo /etc/certprobe; echo /var/lib/certprobe)
if [ ${#left[@]} = 0 ] && getent passwd certprobe >/dev/null; then
    pass "after dpkg -P: no file or folder of certprobe left (configuration and inventory purged), the system user certprobe kept"
else
    fail "after dpkg -P: left ${left[*]:-nothing}; user certprobe: $(getent passwd certprobe || echo removed)"
fi

# --- the .rpm -----------------------------------------------------------------------------
if [ -f "$rpm" ] && rpm -qlp "$rpm" >"$work/rpm-files" 2>"$work/rpm-ql.log"; then
    expected=()
    for p in "${plugins[@]}"; do expected+=("/usr/lib64/nagios/plugins/$p"); done
    expected+=(/usr/bin/certprobe)
    for p in "${documented[@]}" "${subcommand_pages[@]}"; do expected+=("/usr/share/man/man1/$p.1.gz"); done
    for p in "${documented[@]}"; do expected+=("/usr/share/bash-completion/completions/$p"); done
    for u in "${units[@]}"; do expected+=("/usr/lib/systemd/system/$u"); done
    expected+=(/usr/lib/sysusers.d/certprobe.conf /etc/certprobe/certprobe.toml /var/lib/certprobe /usr/share/snmp/mibs/CERTPROBE-MIB.txt)
    for f in "${expected[@]}"; do
        if grep -qxF "$f" "$work/rpm-files"; then
            pass "rpm -qlp lists $f"
        else
            fail "rpm -qlp does not list $f"
        fi
    done
    rpm -qcp "$rpm" >"$work/rpm-config" 2>&1 || true
    if grep -qxF /etc/certprobe/certprobe.toml "$work/rpm-config"; then
        pass "rpm -qcp lists /etc/certprobe/certprobe.toml as configuration"
    else
        fail "rpm -qcp does not list /etc/certprobe/certprobe.toml"
    fi
    owner=$(rpm -qp --qf '[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms}\n]' "$rpm" 2>/dev/null |
        awk '$1 == "/var/lib/certprobe" { print $2, $3 }')
    if [ "$owner" = "certprobe:certprobe drwxr-x---" ]; then
        pass "rpm: /var/lib/certprobe $owner"
    else
        fail "rpm: /var/lib/certprobe '$owner' (expected certprobe:certprobe drwxr-x---)"
    fi
    rpm -qp --scripts "$rpm" >"$work/rpm-scripts" 2>&1 || true
    if grep -q 'systemd-sysusers --replace=/usr/lib/sysusers.d/certprobe.conf' "$work/rpm-scripts"; then
        pass "rpm %pre creates the user certprobe (systemd-sysusers, else useradd)"
    else
        fail "rpm has no %pre creating the user certprobe"
    fi
else
    cat "$work/rpm-ql.log" 2>/dev/null || true
    fail "rpm -qlp $rpm"
fi

if [ $failures -gt 0 ]; then
    echo "packages.sh: $failures check(s) failed"
    exit 1
fi
echo "packages.sh: all checks passed"
