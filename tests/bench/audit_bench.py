#!/usr/bin/env python3
"""Times `certprobe audit` of a tree of 10,000 files against `openssl x509` in a shell loop.

examples/bench_audit_tree.rs writes the tree: PEM chains (half), DER leaves (a fifth), copies of
a PKCS#12 and of a JKS file made here by openssl and keytool (a tenth each), and text files
without a certificate (a tenth); every PEM and DER leaf is its own certificate. certprobe reads
every file, judges every place and stores it in a fresh inventory; the baseline is `openssl x509
-noout -enddate` on each PEM and DER file (a shell loop, as a script would do it: x509-certificate-
exporter is not installable here), which reads fewer files and stores nothing. Prints files per
second, the ratio and peak RSS (GNU time) of each. Timings are reported, never asserted.

    python3 tests/bench/audit_bench.py [FILES]
"""

import os
import subprocess
import sys
import tempfile
import time

from bench import RELEASE, ROOT, sh


def measured(argv, codes=(0,)):
    """Wall seconds and peak RSS (MiB) of a command, by GNU time; it must exit with one of `codes`."""
    with tempfile.NamedTemporaryFile("r") as out:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode not in codes:
            raise SystemExit(f"{argv[0]} exited {done.returncode}")
        wall = time.perf_counter() - started
        out.seek(0)
        return wall, int(out.read().split()[-1]) / 1024


def samples(d):
    """A PKCS#12 (leaf, key and issuer; password 'benchpw') and a JKS made from it by keytool."""
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", f"{d}/s.key", "-out", f"{d}/s.pem", "-days", "90", "-subj", "/CN=store.bench.example")
    sh("openssl", "pkcs12", "-export", "-in", f"{d}/s.pem", "-inkey", f"{d}/s.key", "-name", "store",
       "-passout", "pass:benchpw", "-out", f"{d}/s.p12")
    sh("keytool", "-importkeystore", "-noprompt", "-srckeystore", f"{d}/s.p12", "-srcstoretype", "PKCS12",
       "-srcstorepass", "benchpw", "-destkeystore", f"{d}/s.jks", "-deststoretype", "JKS",
       "-deststorepass", "benchpw")
    with open(f"{d}/password", "w") as f:
        f.write("benchpw\n")


def main():
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "certprobe", "--bin", "check_cert_file",
                    "--example", "bench_audit_tree"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as d:
        samples(d)
        tree = f"{d}/tree"
        started = time.perf_counter()
        subprocess.run([f"{RELEASE}/examples/bench_audit_tree", tree, str(files), f"{d}/s.p12", f"{d}/s.jks"],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"== a tree of {files:,} files (PEM, DER, PKCS#12, JKS, text) made in {time.perf_counter() - started:.1f} s")
        # A first read warms the page cache for both.
        subprocess.run(f"find {tree} -type f -exec cat {{}} + > /dev/null", shell=True, check=True)
        wall, rss = measured([f"{RELEASE}/certprobe", "--db", f"{d}/inventory.sqlite", "audit", tree,
                              "--password-file", f"{d}/password", "--json"])
        ours = files / wall
        places = subprocess.run([f"{RELEASE}/certprobe", "--db", f"{d}/inventory.sqlite", "inventory", "runs",
                                 "--format", "csv"], capture_output=True, text=True).stdout.splitlines()[1].split(",")
        print(f"  certprobe audit (into a new inventory)        {wall:7.2f} s  {ours:8.0f} files/s   peak RSS {rss:6.1f} MiB"
              f"   ({places[8]} places stored)")
        wall, rss = measured([f"{RELEASE}/certprobe", "--db", f"{d}/inventory.sqlite", "audit", tree,
                              "--password-file", f"{d}/password", "--json"])
        print(f"  certprobe audit again (nothing changed)        {wall:7.2f} s  {files / wall:8.0f} files/s   peak RSS {rss:6.1f} MiB")
        wall, rss = measured([f"{RELEASE}/certprobe", "audit", tree, "--password-file", f"{d}/password",
                              "--export", f"{d}/export.json"])
        size = os.path.getsize(f"{d}/export.json") / 1024 / 1024
        print(f"  certprobe audit --export (no inventory)        {wall:7.2f} s  {files / wall:8.0f} files/s   peak RSS {rss:6.1f} MiB"
              f"   ({size:.1f} MiB file)")
        wall, rss = measured([f"{RELEASE}/certprobe", "--db", f"{d}/central.sqlite", "inventory", "import",
                              f"{d}/export.json"])
        print(f"  certprobe inventory import (a new inventory)   {wall:7.2f} s  {files / wall:8.0f} files/s   peak RSS {rss:6.1f} MiB")
        wall, rss = measured([f"{RELEASE}/check_cert_file", tree, "--password-file", f"{d}/password", "-o", "json"],
                              codes=(0, 1, 2, 3))
        print(f"  check_cert_file (no inventory)                 {wall:7.2f} s  {files / wall:8.0f} files/s   peak RSS {rss:6.1f} MiB")
        loop = (f"for f in $(find {tree} -name '*.pem' -o -name '*.der'); do "
                f"case $f in *.der) o='-inform DER';; *) o='';; esac; "
                f"openssl x509 -noout -enddate $o -in $f; done")
        certs = sum(1 for i in range(files) if i % 10 < 7)
        wall, rss = measured(["bash", "-c", loop])
        theirs = certs / wall
        print(f"  openssl x509 -noout -enddate, a shell loop     {wall:7.2f} s  {theirs:8.0f} files/s   peak RSS {rss:6.1f} MiB"
              f"   (its {certs:,} PEM and DER files only)")
        print(f"  ratio: certprobe audit reads {ours / theirs:.0f}x the files per second")


if __name__ == "__main__":
    main()
