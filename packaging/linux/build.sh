#!/usr/bin/env bash
# Builds the Linux packages of certprobe into dist/:
#
#   dist/certprobe_<version>_amd64.deb       (dpkg-deb; Debian, Ubuntu)
#   dist/certprobe-<version>-1.x86_64.rpm    (rpmbuild with packaging/linux/certprobe.spec)
#
# Both hold the five plugins (check_tls_cert, check_smtp_cert, check_lmtp_cert, check_ldap_cert,
# check_cert_inventory) and the certprobe command (/usr/bin: scan, inventory, daemon), the man
# pages and bash/zsh/fish completions that examples/gen_docs.rs generates from the clap
# definitions, the systemd units and sysusers file of packaging/systemd, an example
# /etc/certprobe/certprobe.toml (the README's, commented out), the Icinga 2 and Nagios
# configuration, the Zabbix templates, the PRTG lookups and the README. The maintainer scripts
# (packaging/linux/debian/, the .spec's %pre) create the system user certprobe and its state
# folder /var/lib/certprobe; installing enables and starts no unit. Run from the top of the
# repository:
#
#   packaging/linux/build.sh
#
# Needs cargo and dpkg-deb; the .rpm also needs rpmbuild (Debian package `rpm`), without it
# only the .deb is built (with a warning). Runs lintian on the .deb when it is installed.
set -euo pipefail

cd "$(dirname "$0")/../.."
top=$(pwd)

log() { echo "build.sh: $*"; }
warn() { echo "build.sh: warning: $*" >&2; }
die() {
    echo "build.sh: error: $*" >&2
    exit 1
}

plugins=(check_tls_cert check_smtp_cert check_lmtp_cert check_ldap_cert check_cert_inventory check_cert_file)
programs=("${plugins[@]}" certprobe)
units=(certprobe-daemon.service certprobe-scan@.service certprobe-scan@.timer certprobe-audit@.service certprobe-audit@.timer)

# The version: [workspace.package] version in Cargo.toml.
version=$(awk '
    /^\[/ { section = $0; next }
    section == "[workspace.package]" && $1 == "version" {
        gsub(/[" ]/, "", $0); sub(/^version=/, "", $0); print; exit
    }' Cargo.toml)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "no [workspace.package] version in Cargo.toml (got '$version')"

# The plugins are native binaries: the package architecture is the build machine's.
[ "$(uname -m)" = x86_64 ] || die "the packages are amd64/x86_64, this machine is $(uname -m)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"

target_dir=${CARGO_TARGET_DIR:-$top/target}
work=$target_dir/packaging
docs=$work/docs
dist=$top/dist
rm -rf "$work"
mkdir -p "$work" "$dist"

log "certprobe $version: building the plugins and the certprobe command"
cargo build --release --bins
for p in "${programs[@]}"; do
    [ -x "$target_dir/release/$p" ] || die "$target_dir/release/$p was not built"
done

log "generating man pages and completions"
# The pages' date: the commit's, so that a package built again from it is the same.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && epoch=$(git log -1 --format=%ct 2>/dev/null) && [ -n "$epoch" ]; then
    export SOURCE_DATE_EPOCH=$epoch
fi
cargo run --release --example gen_docs -- "$docs" >/dev/null
# Every program has its page and completions; certprobe also a page per subcommand
# (certprobe-scan.1, certprobe-inventory-where.1, ...), all of which are packaged.
for p in "${programs[@]}"; do
    for f in "man/$p.1" "completions/bash/$p" "completions/zsh/_$p" "completions/fish/$p.fish"; do
        [ -s "$docs/$f" ] || die "gen_docs did not write $f"
    done
done
for f in man/certprobe-scan.1 man/certprobe-inventory.1 man/certprobe-daemon.1; do
    [ -s "$docs/$f" ] || die "gen_docs did not write $f"
done
shopt -s nullglob
man_pages=("$docs"/man/*.1)
shopt -u nullglob

for u in "${units[@]}" certprobe.sysusers.conf; do
    [ -f "packaging/systemd/$u" ] || die "packaging/systemd/$u is missing"
done

# /etc/certprobe/certprobe.toml: the README's config example, the first ```toml block (the
# one crates/certprobe-fleet's the_readme_config_example_is_valid test reads), commented out:
# the example's targets, CA file and SNI file are not this machine's, and the daemon refuses
# a config without jobs (exit 2, no restart loop) until the administrator writes some.
example=$(awk '/^```toml$/ { inside = 1; next } inside && /^```/ { exit } inside' README.md)
[ -n "$example" ] || die "README.md has no \`\`\`toml config example"
config=$work/certprobe.toml
{
    cat <<'EOF'
# certprobe: the configuration of `certprobe scan --config` and `certprobe daemon`, read by
# certprobe-daemon.service, certprobe-scan@JOB.service and certprobe-audit@NAME.service. The
# keys are described in /usr/share/doc/certprobe/README.md ("The config file").
#
# Everything below is the README's example, commented out: write your jobs (or uncomment and
# edit the example), then run the jobs with their schedules in one daemon, or one job daily:
#
#   systemctl enable --now certprobe-daemon.service
#   systemctl enable --now certprobe-scan@dmz.timer
#
# The units run as the user certprobe with a read-only file system and no access to /home:
# the files named here (ca_files, sni_file) must be readable by it. The inventory is
# /var/lib/certprobe/inventory.sqlite; add the users that run check_cert_inventory to the group
# certprobe to let them read it.

EOF
    printf '%s\n' "$example" | sed -e 's/^./# &/' -e 's/^$/#/'
} >"$config"

# Files written by others that may not exist yet: packaged when present.
icinga_conf=packaging/icinga2/certprobe.conf
nagios_cfg=packaging/nagios/certprobe.cfg
have_icinga=0
have_nagios=0
if [ -f "$icinga_conf" ]; then have_icinga=1; else warn "$icinga_conf not found: the packages ship without the Icinga 2 CheckCommands"; fi
if [ -f "$nagios_cfg" ]; then have_nagios=1; else warn "$nagios_cfg not found: the packages ship without the Nagios commands"; fi
shopt -s nullglob
lookups=(packaging/prtg/lookups/*.ovl)
shopt -u nullglob
[ ${#lookups[@]} -gt 0 ] || warn "no PRTG lookups in packaging/prtg/lookups/"
shopt -s nullglob
zabbix=(packaging/zabbix/*.yaml)
shopt -u nullglob
if [ ! -f packaging/zabbix/README.md ]; then
    zabbix=()
fi
[ ${#zabbix[@]} -gt 0 ] || warn "no Zabbix templates (and their README.md) in packaging/zabbix/"

# The installed tree, common to both packages:
#   stage_tree ROOT PLUGIN_DIR ZSH_DIR NAGIOS_CFG UNIT_DIR
stage_tree() {
    local root=$1 plugin_dir=$2 zsh_dir=$3 nagios_path=$4 unit_dir=$5 p u
    install -d -m 0755 "$root$plugin_dir" "$root/usr/bin" "$root/usr/share/man/man1" \
        "$root/usr/share/bash-completion/completions" "$root$zsh_dir" \
        "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/certprobe" \
        "$root$unit_dir" "$root/usr/lib/sysusers.d" "$root/etc/certprobe"
    for p in "${plugins[@]}"; do
        install -m 0755 "$target_dir/release/$p" "$root$plugin_dir/$p"
    done
    install -m 0755 "$target_dir/release/certprobe" "$root/usr/bin/certprobe"
    for f in "${man_pages[@]}"; do
        gzip -9 -n -c "$f" >"$root/usr/share/man/man1/${f##*/}.gz"
        chmod 0644 "$root/usr/share/man/man1/${f##*/}.gz"
    done
    for p in "${programs[@]}"; do
        install -m 0644 "$docs/completions/bash/$p" "$root/usr/share/bash-completion/completions/$p"
        install -m 0644 "$docs/completions/zsh/_$p" "$root$zsh_dir/_$p"
        install -m 0644 "$docs/completions/fish/$p.fish" "$root/usr/share/fish/vendor_completions.d/$p.fish"
    done
    for u in "${units[@]}"; do
        install -m 0644 "packaging/systemd/$u" "$root$unit_dir/$u"
    done
    install -m 0644 packaging/systemd/certprobe.sysusers.conf "$root/usr/lib/sysusers.d/certprobe.conf"
    install -m 0644 "$config" "$root/etc/certprobe/certprobe.toml"
    if [ $have_icinga = 1 ]; then
        install -D -m 0644 "$icinga_conf" "$root/usr/share/icinga2/include/plugins-contrib.d/certprobe.conf"
    fi
    if [ $have_nagios = 1 ]; then
        install -D -m 0644 "$nagios_cfg" "$root$nagios_path"
    fi
    if [ ${#lookups[@]} -gt 0 ]; then
        install -d -m 0755 "$root/usr/share/certprobe/prtg"
        install -m 0644 "${lookups[@]}" "$root/usr/share/certprobe/prtg/"
    fi
    install -m 0644 README.md "$root/usr/share/doc/certprobe/README.md"
    # The MIB of certprobe notify's traps, where Net-SNMP looks for MIBs.
    install -D -m 0644 packaging/snmp/CERTPROBE-MIB.txt "$root/usr/share/snmp/mibs/CERTPROBE-MIB.txt"
    if [ ${#zabbix[@]} -gt 0 ]; then
        install -d -m 0755 "$root/usr/share/certprobe/zabbix"
        install -m 0644 "${zabbix[@]}" "$root/usr/share/certprobe/zabbix/"
        install -m 0644 packaging/zabbix/README.md "$root/usr/share/doc/certprobe/README.zabbix.md"
    fi
    cat >"$root/usr/share/doc/certprobe/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: certprobe

Files: *
Copyright: the certprobe authors
License: MIT or Apache-2.0
 certprobe is dual-licensed under the MIT license and the Apache License,
 Version 2.0, at your option. On Debian systems the Apache License is in
 /usr/share/common-licenses/Apache-2.0.
EOF
    chmod 0644 "$root/usr/share/doc/certprobe/copyright"
}

# --- .deb --------------------------------------------------------------------------------
deb_name=certprobe_${version}_amd64
deb_root=$work/deb/debian/certprobe
log "staging $deb_name.deb"
# The units in /lib/systemd/system, where Debian 12's packages put theirs (the same folder as
# /usr/lib/systemd/system on merged-/usr systems; systemd reads both on the others).
stage_tree "$deb_root" /usr/lib/nagios/plugins /usr/share/zsh/vendor-completions \
    /etc/nagios-plugins/config/certprobe.cfg /lib/systemd/system

install -d -m 0755 "$deb_root/DEBIAN"

# Depends: the shared libraries the plugins link (libc6, libgcc-s1) at the versions their
# symbols need; dpkg-shlibdeps (dpkg-dev) when installed, else from the ELF headers.
deb_bins=()
for p in "${plugins[@]}"; do deb_bins+=("debian/certprobe/usr/lib/nagios/plugins/$p"); done
deb_bins+=(debian/certprobe/usr/bin/certprobe)
depends=
if command -v dpkg-shlibdeps >/dev/null; then
    printf 'Source: certprobe\n\nPackage: certprobe\nArchitecture: amd64\n' >"$work/deb/debian/control"
    depends=$(cd "$work/deb" && dpkg-shlibdeps -O "${deb_bins[@]}" | sed -n 's/^shlibs:Depends=//p')
elif command -v objdump >/dev/null; then
    glibc=$(cd "$work/deb" && objdump -T "${deb_bins[@]}" | grep -o 'GLIBC_[0-9][0-9.]*' |
        sed 's/GLIBC_//' | sort -u -V | tail -n 1 || true)
    depends="libc6${glibc:+ (>= $glibc)}"
    needed=$(cd "$work/deb" && objdump -p "${deb_bins[@]}")
    if [[ $needed == *libgcc_s.so* ]]; then depends="$depends, libgcc-s1"; fi
fi
[ -n "$depends" ] || depends=libc6
# The postinst creates the user with systemd-sysusers, or adduser where there is none
# (lintian wants adduser either way; it is in every Debian and Ubuntu installation).
depends="$depends, adduser"

installed_size=$(du -sk --exclude=DEBIAN "$deb_root" | cut -f1)
cat >"$deb_root/DEBIAN/control" <<EOF
Package: certprobe
Version: $version
Architecture: amd64
Maintainer: certprobe maintainers <certprobe@example.org>
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Description: TLS certificate check plugins and network certificate inventory
 certprobe connects to a server, captures its certificate chain even when it
 is invalid, analyses it (days to expiry of every chain element, host name,
 key type and size, trust, revocation, self-signed) and reports in the format
 of the monitoring system: Nagios/Icinga plugin output with perfdata, PRTG
 EXE/Script Advanced JSON, Zabbix, Prometheus, or plain JSON.
 .
 Plugins in /usr/lib/nagios/plugins: check_tls_cert (direct TLS, and
 STARTTLS for SMTP, LMTP, LDAP, IMAP, POP3, FTP, XMPP, PostgreSQL, MySQL and
 ManageSieve), check_smtp_cert, check_lmtp_cert, check_ldap_cert,
 check_cert_inventory, which reads the inventory instead of connecting, and
 check_cert_file, which reads certificate files, folders and keystores.
 .
 The certprobe command scans whole networks into a certificate inventory
 (SQLite) and queries and exports it; systemd units run its scans on
 schedules as the system user certprobe (none is enabled by installing).
 .
 Includes Icinga 2 CheckCommands, Nagios command definitions, Zabbix
 templates, man pages and bash, zsh and fish completions.
EOF
echo /etc/certprobe/certprobe.toml >"$deb_root/DEBIAN/conffiles"
if [ $have_nagios = 1 ]; then
    echo /etc/nagios-plugins/config/certprobe.cfg >>"$deb_root/DEBIAN/conffiles"
fi
(cd "$deb_root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) >"$deb_root/DEBIAN/md5sums"
for s in postinst prerm postrm; do
    install -m 0755 "packaging/linux/debian/$s" "$deb_root/DEBIAN/$s"
done
find "$deb_root" -type d -exec chmod 0755 {} +
chmod 0644 "$deb_root"/DEBIAN/control "$deb_root"/DEBIAN/conffiles "$deb_root"/DEBIAN/md5sums

rm -f "$dist/$deb_name.deb"
dpkg-deb --root-owner-group -Zxz --build "$deb_root" "$dist/$deb_name.deb" >/dev/null
log "built dist/$deb_name.deb"

if command -v lintian >/dev/null; then
    log "lintian dist/$deb_name.deb"
    lintian --info "$dist/$deb_name.deb" || warn "lintian reported problems (see above)"
fi

# --- .rpm --------------------------------------------------------------------------------
rpm_name=certprobe-${version}-1.x86_64
if ! command -v rpmbuild >/dev/null; then
    warn "rpmbuild is missing (Debian: apt-get install rpm): dist/$rpm_name.rpm not built"
    exit 0
fi
rpm_stage=$work/rpm/stage
rpm_top=$work/rpm/topdir
log "staging $rpm_name.rpm"
stage_tree "$rpm_stage" /usr/lib64/nagios/plugins /usr/share/zsh/site-functions \
    /etc/nagios/objects/certprobe.cfg /usr/lib/systemd/system
# The state folder is in the RPM (owned by certprobe, which %pre creates); the .deb's postinst
# makes it instead, since dpkg would own it as root.
install -d -m 0750 "$rpm_stage/var/lib/certprobe"
mkdir -p "$rpm_top"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS}
rpmbuild -bb --quiet --target x86_64 \
    --define "_topdir $rpm_top" \
    --define "certprobe_version $version" \
    --define "certprobe_stage $rpm_stage" \
    --define "with_icinga $have_icinga" \
    --define "with_nagios $have_nagios" \
    --define "with_prtg $([ ${#lookups[@]} -gt 0 ] && echo 1 || echo 0)" \
    --define "with_zabbix $([ ${#zabbix[@]} -gt 0 ] && echo 1 || echo 0)" \
    packaging/linux/certprobe.spec
built=$rpm_top/RPMS/x86_64/$rpm_name.rpm
[ -f "$built" ] || die "rpmbuild did not write $built"
cp "$built" "$dist/$rpm_name.rpm"
log "built dist/$rpm_name.rpm"
