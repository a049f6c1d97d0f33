#!/usr/bin/env bash
# The whole test suite: installs what it needs, runs every test of the workspace, then the
# integrations with the real monitoring systems and the packages:
#   tests/integration/icinga2.sh    Icinga 2 and Nagios 4 run the plugins (configs validated)
#   tests/integration/icinga2_zones.sh  a master and a satellite: the satellite runs a zone's scan
#   tests/integration/windows.sh    Windows executables under Wine, the PRTG zip
#   tests/integration/packages.sh   .deb installed and removed, .rpm file list
#   tests/integration/test_*.py     the Zabbix template and the PRTG Python wrapper
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup.sh
cargo test --workspace
cargo build --release --bins
tests/integration/icinga2.sh
tests/integration/icinga2_zones.sh
tests/integration/windows.sh
tests/integration/packages.sh
python3 -m unittest discover -s tests/integration -p 'test_*.py'
