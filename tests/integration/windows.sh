#!/usr/bin/env bash
# The Windows build: cross-compiles the plugins with MinGW-w64, packages the PRTG zip
# (dist/certprobe-windows-x86_64.zip) and runs the packaged .exe files under Wine against TLS
# servers on 127.0.0.1, checking the PRTG output they print. Also runs the unit tests of the PRTG
# Python wrapper.
#
# Installs what it needs from Debian when missing (as root): gcc-mingw-w64-x86-64, wine, and the
# Rust target x86_64-pc-windows-gnu (rustup). When the cross toolchain or Wine cannot be had, it
# says so in capitals and exits 0 so that the rest of CI runs. Any failed check: exit 1.
#
# Wine 8.0 (Debian 12) lacks ProcessPrng (bcryptprimitives.dll), which Rust's standard library
# imports; the test then builds a stand-in (packaging/windows/wine/bcryptprimitives.c) and puts it
# next to the .exe files it runs. It never goes into the zip: real Windows 10+ has ProcessPrng.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET=x86_64-pc-windows-gnu
ZIP=dist/certprobe-windows-x86_64.zip
PLUGINS=(check_tls_cert check_smtp_cert check_lmtp_cert check_ldap_cert check_cert_file)
# Not a sensor: the fleet command, for the local audit of a Windows server (into an export).
FLEET=certprobe
CN=tls.example

PASSED=0
FAILED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
phase() { echo "== $* (${SECONDS}s)"; }
finish() {
    echo "windows: $PASSED passed, $FAILED failed (${SECONDS}s)"
    [ "$FAILED" -eq 0 ] || exit 1
    exit 0
}
skip_build() {
    echo "WINDOWS BUILD SKIPPED: $*"
    finish
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/certprobe-windows.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX" ] && command -v wineserver >/dev/null; then
        wineserver -k 2>/dev/null || true
        wineserver -w 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

APT_UPDATED=
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    if [ -z "$APT_UPDATED" ]; then
        apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends "$@" >"$WORK/apt.log" 2>&1 || { tail -5 "$WORK/apt.log"; return 1; }
}

# --- 1. The PRTG Python wrapper's unit tests (no Windows needed) ---------------------------
phase "Python wrapper unit tests"
command -v python3 >/dev/null || apt_install python3 || true
if python3 -m unittest tests/integration/test_prtg_wrapper.py >"$WORK/unittest.log" 2>&1; then
    pass "certprobe_starttls.py unit tests ($(grep -o 'Ran [0-9]* tests' "$WORK/unittest.log"))"
else
    cat "$WORK/unittest.log"
    fail "certprobe_starttls.py unit tests"
fi

# --- 2. Tools -------------------------------------------------------------------------------
phase "tools"
command -v openssl >/dev/null || apt_install openssl || true
command -v x86_64-w64-mingw32-gcc >/dev/null || apt_install gcc-mingw-w64-x86-64 ||
    skip_build "CANNOT INSTALL THE MINGW-W64 CROSS COMPILER (gcc-mingw-w64-x86-64)"
command -v x86_64-w64-mingw32-gcc >/dev/null ||
    skip_build "NO x86_64-w64-mingw32-gcc AFTER INSTALLING gcc-mingw-w64-x86-64"
if ! [ -d "$(rustc --print sysroot)/lib/rustlib/$TARGET" ]; then
    { command -v rustup >/dev/null && rustup target add "$TARGET"; } ||
        skip_build "CANNOT ADD THE RUST TARGET $TARGET (rustup target add $TARGET failed)"
fi
WINE_OK=1
if ! command -v wine >/dev/null || ! command -v wineserver >/dev/null; then
    apt_install wine wine64 || WINE_OK=0
    command -v wine >/dev/null && command -v wineserver >/dev/null || WINE_OK=0
fi
echo "x86_64-w64-mingw32-gcc $(x86_64-w64-mingw32-gcc -dumpversion), $(rustc --version)," \
    "$( [ "$WINE_OK" = 1 ] && wine --version 2>/dev/null || echo 'no wine')"

# --- 3. Build -------------------------------------------------------------------------------
phase "cargo build --release --target $TARGET --bins"
if ! cargo build --release --target "$TARGET" --bins; then
    fail "cargo build --release --target $TARGET"
    finish
fi
BIN=target/$TARGET/release
for p in "${PLUGINS[@]}" "$FLEET"; do
    exe=$BIN/$p.exe
    if ! [ -f "$exe" ]; then
        fail "$exe was not built"
        continue
    fi
    # A clean Windows has no MinGW runtime DLLs (libgcc_s_seh-1.dll, libwinpthread-1.dll, ...):
    # the .exe may import only DLLs that ship with Windows.
    dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
    foreign=$(echo "$dlls" | tr ' ' '\n' | grep -Ev '^$|^(kernel32|ntdll|advapi32|bcrypt|bcryptprimitives|ws2_32|userenv|msvcrt|ucrtbase|crypt32|secur32|ncrypt|user32|shell32|ole32|oleaut32|iphlpapi|dnsapi)\.dll$|^api-ms-win-' || true)
    if [ -z "$foreign" ]; then
        pass "$p.exe ($(stat -c %s "$exe") bytes) imports only Windows DLLs: $dlls"
    else
        fail "$p.exe imports DLLs a clean Windows lacks: $foreign"
    fi
done
[ "$FAILED" -eq 0 ] || finish

# --- 4. The zip -----------------------------------------------------------------------------
phase "package $ZIP"
mkdir -p dist
python3 - "$BIN" "$ZIP" "${PLUGINS[@]}" <<'PY'
import glob, os, sys, zipfile
bin_dir, zip_path, plugins = sys.argv[1], sys.argv[2], sys.argv[3:]
entries = [("Custom Sensors/EXEXML/%s.exe" % p, os.path.join(bin_dir, p + ".exe")) for p in plugins]
entries.append(("certprobe/certprobe.exe", os.path.join(bin_dir, "certprobe.exe")))
entries.append(("Custom Sensors/python/certprobe_starttls.py", "packaging/windows/certprobe_starttls.py"))
entries += [("lookups/custom/" + os.path.basename(f), f)
            for f in sorted(glob.glob("packaging/prtg/lookups/*.ovl"))]
entries.append(("INSTALL.md", "packaging/windows/INSTALL.md"))
tmp = zip_path + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name, path in entries:
        z.write(path, name)
os.replace(tmp, zip_path)
PY
python3 - "$ZIP" "${PLUGINS[@]}" >"$WORK/zipcheck.log" 2>&1 <<'PY' && pass "$ZIP: $(cat "$WORK/zipcheck.log")" || fail "$ZIP: $(cat "$WORK/zipcheck.log")"
import glob, os, sys, zipfile
zip_path, plugins = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(zip_path) as z:
    bad = z.testzip()
    names = set(z.namelist())
    size = sum(i.file_size for i in z.infolist())
expected = {"Custom Sensors/EXEXML/%s.exe" % p for p in plugins}
expected |= {"Custom Sensors/python/certprobe_starttls.py", "INSTALL.md", "certprobe/certprobe.exe"}
expected |= {"lookups/custom/" + os.path.basename(f) for f in glob.glob("packaging/prtg/lookups/*.ovl")}
problems = []
if bad:
    problems.append("corrupt member " + bad)
if names != expected:
    problems.append("missing %s, unexpected %s" % (sorted(expected - names), sorted(names - expected)))
if not any(n.startswith("lookups/custom/") for n in names):
    problems.append("no lookups")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print("%d files, %d bytes unpacked, %d bytes zipped" % (len(names), size, os.path.getsize(zip_path)))
PY

if [ "$WINE_OK" != 1 ]; then
    echo "WINDOWS RUN UNDER WINE SKIPPED: CANNOT INSTALL WINE (apt-get install wine wine64 failed)"
    finish
fi

# --- 5. Wine --------------------------------------------------------------------------------
phase "Wine prefix"
export WINEPREFIX=$WORK/wineprefix WINEARCH=win64 WINEDEBUG=-all
# No Mono/Gecko install dialogs: the plugins are console programs.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# Run what was packaged: the .exe files as extracted from the zip.
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$ZIP" "$WORK/unzipped"
EXEDIR="$WORK/unzipped/Custom Sensors/EXEXML"
if ! timeout 300 wine wineboot --init >"$WORK/wineboot.log" 2>&1; then
    tail -20 "$WORK/wineboot.log"
    fail "wineboot --init (Wine prefix)"
    finish
fi

# The stand-in ProcessPrng, only when the .exe wants it and this Wine lacks it.
wine_dll=$(find /usr/lib /usr/lib64 /opt -path '*x86_64-windows/bcryptprimitives.dll' 2>/dev/null | head -1 || true)
exe_imports=$(x86_64-w64-mingw32-objdump -p "$EXEDIR/check_tls_cert.exe")
wine_exports=$([ -n "$wine_dll" ] && x86_64-w64-mingw32-objdump -p "$wine_dll" || true)
if grep -qw ProcessPrng <<<"$exe_imports" && ! grep -qw ProcessPrng <<<"$wine_exports"; then
    x86_64-w64-mingw32-gcc -shared -O2 -s -o "$EXEDIR/bcryptprimitives.dll" \
        packaging/windows/wine/bcryptprimitives.c -ladvapi32
    export WINEDLLOVERRIDES="$WINEDLLOVERRIDES;bcryptprimitives=n,b"
    echo "note: $(wine --version) lacks ProcessPrng: using the stand-in bcryptprimitives.dll (tests only)"
fi

winpath() { # a Unix path as Wine's Z: drive sees it
    local p
    p=$(readlink -f "$1")
    echo "Z:${p//\//\\}"
}
# Runs a packaged plugin under Wine; sets OUT (stdout) and RC.
run_exe() {
    local exe=$1
    shift
    RC=0
    OUT=$(cd "$WORK" && timeout 120 wine "$EXEDIR/$exe.exe" "$@" 2>>"$WORK/wine-stderr.log") || RC=$?
}

for p in "${PLUGINS[@]}"; do
    run_exe "$p" --version
    if [[ "$OUT" == *"$p"* ]]; then
        pass "$p.exe runs under Wine: '$(echo "$OUT" | head -1)' (exit $RC)"
    else
        fail "$p.exe --version under Wine: exit $RC, output '$OUT' $(tail -3 "$WORK/wine-stderr.log")"
    fi
done

# --- 6. Test PKI and servers ----------------------------------------------------------------
phase "test PKI and TLS servers"
PKI=$WORK/pki
mkdir -p "$PKI"
cat >"$PKI/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = certprobe Windows test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
cat >"$PKI/leaf.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$CN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
{
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -config "$PKI/ca.cnf" -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$CN" \
        -keyout "$PKI/leaf.key" -out "$PKI/leaf.csr"
    openssl x509 -req -in "$PKI/leaf.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
        -days 200 -sha256 -extfile "$PKI/leaf.ext" -out "$PKI/leaf.pem"
} >"$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log"; fail "making the test PKI with openssl"; finish; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { # port: waits until something listens there
    python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.time() + 15
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

TLS_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" \
    -www -quiet </dev/null >"$WORK/s_server.log" 2>&1 &
PIDS+=($!)

# A minimal SMTP server with STARTTLS, for check_smtp_cert.exe (via the Python wrapper).
cat >"$WORK/smtp_starttls.py" <<'PY'
import socket, ssl, sys, threading
cert, key, port_file = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)

def serve(conn):
    try:
        conn.settimeout(30)
        reader = conn.makefile("rb")
        conn.sendall(b"220 smtp.example ESMTP certprobe test\r\n")
        while True:
            line = reader.readline(1024)
            if not line:
                return
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                conn.sendall(b"250-smtp.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif cmd == b"STARTTLS":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                break
            elif cmd == b"QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 Error: command not recognized\r\n")
        tls = ctx.wrap_socket(conn, server_side=True)
        reader = tls.makefile("rb")
        while True:
            line = reader.readline(1024)
            if not line:
                return
            if line.strip().upper() == b"QUIT":
                tls.sendall(b"221 2.0.0 Bye\r\n")
                return
            tls.sendall(b"502 5.5.2 Error: command not recognized\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()

with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.replace(port_file + ".tmp", port_file)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
python3 "$WORK/smtp_starttls.py" "$PKI/leaf.pem" "$PKI/leaf.key" "$WORK/smtp.port" \
    </dev/null >"$WORK/smtp.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/smtp.port" ] && break; sleep 0.1; done
SMTP_PORT=$(cat "$WORK/smtp.port" 2>/dev/null || echo 0)
REFUSED_PORT=$(free_port) # nothing listens there
if wait_port "$TLS_PORT" && wait_port "$SMTP_PORT"; then
    pass "openssl s_server on 127.0.0.1:$TLS_PORT, SMTP STARTTLS on 127.0.0.1:$SMTP_PORT (ECDSA P-256, CN/SAN $CN, 200 days)"
else
    cat "$WORK/s_server.log" "$WORK/smtp.log"
    fail "starting the test servers"
    finish
fi

# Checks PRTG output on stdin: check_prtg.py json|xml|error [channel=v1,v2 ...]
cat >"$WORK/check_prtg.py" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
mode, expectations = sys.argv[1], sys.argv[2:]
raw = sys.stdin.read()
def die(msg):
    print(msg + " -- output: " + raw.strip()[:400].replace("\n", " "))
    sys.exit(1)
if mode == "xml":
    try:
        root = ET.fromstring(raw.strip())
    except ET.ParseError as e:
        die("not well-formed XML: %s" % e)
    if root.tag.lower() != "prtg":
        die("root element is <%s>, not <prtg>" % root.tag)
    kids = {c.tag.lower(): c for c in root}
    error = kids.get("error")
    error = None if error is None or (error.text or "").strip() == "0" else error.text
    channels = {}
    for result in root:
        if result.tag.lower() != "result":
            continue
        fields = {c.tag.lower(): (c.text or "").strip() for c in result}
        channels[fields.get("channel")] = fields.get("value")
    text = kids["text"].text if "text" in kids else None
else:
    try:
        data = json.loads(raw)
    except ValueError as e:
        die("not JSON: %s" % e)
    prtg = data.get("prtg") if isinstance(data, dict) else None
    if not isinstance(prtg, dict):
        die("no prtg object")
    error = prtg.get("error")
    channels = {r.get("channel"): r.get("value") for r in prtg.get("result", [])}
    text = prtg.get("text")
if mode == "error":
    if str(error) != "1":
        die("error is %r, not 1" % (error,))
    if not text:
        die("no text")
    print("error 1: " + text[:160])
    sys.exit(0)
if error is not None:
    die("error %r" % (error,))
found = []
for e in expectations:
    name, wanted = e.split("=", 1)
    if name not in channels:
        die("no channel %r (channels: %s)" % (name, sorted(k for k in channels if k)))
    value = channels[name]
    if str(value) not in wanted.split(","):
        die("channel %r is %r, expected %s" % (name, value, wanted))
    found.append("%s=%s" % (name, value))
print(", ".join(found) + "; text: " + (text or "")[:120])
PY
check_prtg() { # mode expectations... (reads OUT); prints the detail, returns 1 on mismatch
    printf '%s' "$OUT" | python3 "$WORK/check_prtg.py" "$@"
}

# --- 7. The checks --------------------------------------------------------------------------
phase "checks under Wine"
CA_WIN=$(winpath "$PKI/ca.pem")
EXPECT=("Days to Expiration=199,200" "Root Authority Trusted=0" "Common Name Check=5")

detail=
run_exe check_tls_cert -H "$CN" --address 127.0.0.1 -p "$TLS_PORT" --ca-file "$CA_WIN" --output prtg-json
if [ "$RC" = 0 ] && detail=$(check_prtg json "${EXPECT[@]}"); then
    pass "check_tls_cert.exe --output prtg-json: $detail"
else
    fail "check_tls_cert.exe --output prtg-json (exit $RC): ${detail:-}"
fi

detail=
run_exe check_tls_cert -H "$CN" --address 127.0.0.1 -p "$TLS_PORT" --ca-file "$CA_WIN" --output prtg-xml
if printf '%s' "$OUT" | grep -qi "invalid value.*prtg-xml"; then
    echo "PRTG XML NOT YET AVAILABLE: --output prtg-xml is refused as an invalid value; check skipped"
elif [ "$RC" = 0 ] && detail=$(check_prtg xml "${EXPECT[@]}"); then
    pass "check_tls_cert.exe --output prtg-xml: well-formed, $detail"
else
    fail "check_tls_cert.exe --output prtg-xml (exit $RC): ${detail:-}"
fi

detail=
run_exe check_tls_cert -H "$CN" --address 127.0.0.1 -p "$REFUSED_PORT" --ca-file "$CA_WIN" --output prtg-json
if [ "$RC" = 0 ] && detail=$(check_prtg error); then
    pass "check_tls_cert.exe, refused port $REFUSED_PORT: exit 0, $detail"
else
    fail "check_tls_cert.exe, refused port (exit $RC): ${detail:-}"
fi

# The Python Script Advanced wrapper driving check_smtp_cert.exe with the STARTTLS sensor's
# parameter string. The wrapper runs "the exe" directly; here a shim runs it under Wine. Trust
# comes from the system store in this form, which does not hold the test CA: not trusted.
mkdir -p "$WORK/shim"
printf '#!/bin/sh\nexec wine "%s/check_smtp_cert.exe" "$@"\n' "$EXEDIR" >"$WORK/shim/check_smtp_cert.exe"
chmod +x "$WORK/shim/check_smtp_cert.exe"
detail=
sensor=$(printf '{"host": "127.0.0.1", "params": "port: %s, protocol: smtp, cert_domainname: %s, cert_domainname_validation: cn_san", "timeout": "60"}' "$SMTP_PORT" "$CN")
RC=0
OUT=$(cd "$WORK" && CERTPROBE_EXE="$WORK/shim/check_smtp_cert.exe" timeout 120 \
    python3 "$WORK/unzipped/Custom Sensors/python/certprobe_starttls.py" "$sensor" 2>>"$WORK/wine-stderr.log") || RC=$?
if [ "$RC" = 0 ] && detail=$(check_prtg json "Days to Expiration=199,200" "Root Authority Trusted=1" "Common Name Check=5"); then
    pass "certprobe_starttls.py -> check_smtp_cert.exe, SMTP STARTTLS: $detail"
else
    fail "certprobe_starttls.py -> check_smtp_cert.exe, SMTP STARTTLS (exit $RC): ${detail:-}"
fi

# --- 8. The Windows certificate store -------------------------------------------------------
# A test helper (never packaged) imports certificates into Wine's system stores as an
# administrator's import would: LocalMachine\My with a friendly name and a private key attached,
# LocalMachine\WebHosting without. certprobe.exe audit and check_cert_file.exe must read them
# back with those fields; a store that does not exist is a reason, not a failure.
phase "Windows certificate store under Wine"
STORE_HELPER=$WORK/store_import.exe
x86_64-w64-mingw32-gcc -O2 -s -o "$STORE_HELPER" tests/integration/wine/store_import.c -lcrypt32
FLEET_EXE="$WORK/unzipped/certprobe/certprobe.exe"
[ -f "$EXEDIR/bcryptprimitives.dll" ] && cp "$EXEDIR/bcryptprimitives.dll" "$(dirname "$FLEET_EXE")/"
printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:soon.example\n' >"$PKI/soon.ext"
{
    openssl x509 -in "$PKI/leaf.pem" -outform DER -out "$PKI/leaf.der"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=soon.example" \
        -keyout "$PKI/soon.key" -out "$PKI/soon.csr"
    openssl x509 -req -in "$PKI/soon.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
        -days 10 -sha256 -extfile "$PKI/soon.ext" -outform DER -out "$PKI/soon.der"
} >>"$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log"; fail "making the store's certificates"; finish; }
thumb() { openssl x509 -inform DER -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
LEAF_THUMB=$(thumb "$PKI/leaf.der")
SOON_THUMB=$(thumb "$PKI/soon.der")
if (cd "$WORK" && timeout 60 wine "$STORE_HELPER" LocalMachine My "$(winpath "$PKI/leaf.der")" "IIS $CN" key &&
    timeout 60 wine "$STORE_HELPER" LocalMachine WebHosting "$(winpath "$PKI/soon.der")" - nokey) 2>>"$WORK/wine-stderr.log"; then
    pass "store_import.exe: $CN ($LEAF_THUMB) into LocalMachine\\My, soon.example ($SOON_THUMB) into LocalMachine\\WebHosting"
else
    fail "store_import.exe could not add the certificates: $(tail -3 "$WORK/wine-stderr.log")"
    finish
fi
DB_WIN=$(winpath "$WORK")\\inventory.sqlite
RC=0
OUT=$(cd "$WORK" && timeout 120 wine "$FLEET_EXE" --db "$DB_WIN" audit --windows-store My \
    --windows-store 'LocalMachine\WebHosting' --windows-store 'LocalMachine\NoSuchStore' \
    --ca-file "$CA_WIN" 2>>"$WORK/wine-stderr.log") || RC=$?
OUT=${OUT//$'\r'/}
summary=$(printf '%s\n' "$OUT" | head -1 | sed 's/ in [0-9.]* s,/ in T s,/')
want_summary="audit 'audit' of $(printf '%s\n' "$OUT" | head -1 | sed -n "s/^audit 'audit' of \(.*\) done:.*/\1/p") done: 0 files and 3 stores in T s, 2 certificates in 2 places, 0 without a certificate, 1 unreadable, 0 removed; run 1"
want_problem="LocalMachine\\NoSuchStore: the store LocalMachine\\NoSuchStore cannot be opened: there is no such store (error 2)"
if [ "$RC" = 0 ] && [ "$summary" = "$want_summary" ] && [ "$(printf '%s\n' "$OUT" | sed -n 2p)" = "$want_problem" ]; then
    pass "certprobe.exe audit --windows-store: $summary"
else
    fail "certprobe.exe audit --windows-store (exit $RC): '$OUT', expected '$want_summary' and '$want_problem'"
fi
RC=0
OUT=$(cd "$WORK" && timeout 120 wine "$FLEET_EXE" --db "$DB_WIN" inventory endpoints --format json 2>>"$WORK/wine-stderr.log") || RC=$?
cat >"$WORK/check_store.py" <<'PY'
import json, sys
leaf, soon, friendly = sys.argv[1:4]
rows = json.loads(sys.stdin.read())
got = {}
for r in rows:
    tag = [(f["check"], f["state"], f["message"]) for f in r["findings"] if f["check"] in ("private-key", "file")]
    got[r["endpoint"].split(":", 2)[2]] = (r["protocol"], r["state"], tag)
want = {
    "LocalMachine\\My\\" + leaf: ("winstore", "OK", [("private-key", "OK", "a private key is attached to it in the store"),
                                                ("file", "OK", "friendly name '%s'" % friendly)]),
    "LocalMachine\\WebHosting\\" + soon: ("winstore", "WARNING", []),
    "LocalMachine\\NoSuchStore": ("winstore", "UNKNOWN", []),
}
if got != want:
    print("places %r, expected %r" % (got, want))
    sys.exit(1)
print("%d places: the thumbprints, friendly name and private key as imported" % len(got))
PY
detail=$(printf '%s' "$OUT" | python3 "$WORK/check_store.py" "$LEAF_THUMB" "$SOON_THUMB" "IIS $CN") && [ "$RC" = 0 ] && pass "certprobe.exe inventory endpoints: $detail" || fail "certprobe.exe inventory endpoints (exit $RC): $detail"
detail=
run_exe check_cert_file --windows-store My --windows-store 'LocalMachine\WebHosting' --ca-file "$CA_WIN" -w 30 -c 5 --output prtg-json
if [ "$RC" = 0 ] && detail=$(check_prtg json "Days to Expiration=9,10" "Check State=1") &&
    [[ "$OUT" == *"2 certificates (1 WARNING, 1 OK); LocalMachine\\\\WebHosting\\\\$SOON_THUMB: "* ]]; then
    pass "check_cert_file.exe --windows-store --output prtg-json: the soonest expiry is the primary channel: $detail"
else
    fail "check_cert_file.exe --windows-store --output prtg-json (exit $RC): ${detail:-} $OUT"
fi
detail=
run_exe check_cert_file --windows-store 'LocalMachine\NoSuchStore' --output prtg-json
if [ "$RC" = 0 ] && detail=$(check_prtg error); then
    pass "check_cert_file.exe, a store that does not exist: $detail"
else
    fail "check_cert_file.exe, a store that does not exist (exit $RC): ${detail:-}"
fi

# A certificate taken out of its store: the next audit records its place as removed.
RC=0
OUT=$(cd "$WORK" && timeout 60 wine "$STORE_HELPER" LocalMachine WebHosting "$(winpath "$PKI/soon.der")" remove 2>>"$WORK/wine-stderr.log" &&
    timeout 120 wine "$FLEET_EXE" --db "$DB_WIN" audit --windows-store My --windows-store 'LocalMachine\WebHosting' \
        --ca-file "$CA_WIN" 2>>"$WORK/wine-stderr.log") || RC=$?
OUT=${OUT//$'\r'/}
if [ "$RC" = 0 ] && [[ "$OUT" == *"1 certificates in 1 places, 0 without a certificate, 0 unreadable, 1 removed; run 2" ]]; then
    pass "certprobe.exe audit after the removal from WebHosting: $(printf '%s' "$OUT" | head -1 | sed 's/ in [0-9.]* s,/ in T s,/')"
else
    fail "certprobe.exe audit after the removal from WebHosting (exit $RC): '$OUT'"
fi

finish
