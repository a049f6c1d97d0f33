#!/usr/bin/env python3
"""Times the inventory's queries on 100,000 endpoints and 50,000 certificates.

examples/bench_inventory.rs makes the inventory (real certificates, one scan run; nothing is
connected to), then each query runs RUNS times through the `certprobe` binary (process start
included), and check_cert_inventory when it is built. Prints the median wall time and peak RSS
(GNU time) of each. Timings are reported, never asserted.

    python3 tests/bench/inventory_bench.py [RUNS]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Where cargo puts release builds: $CARGO_TARGET_DIR (relative to the repo, where cargo runs) or target.
RELEASE = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target", "release")


def timed(argv, runs):
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode not in (0, 1, 2):
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr}")
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.seek(0)
        rss = int(out.read().split()[-1]) / 1024
    return statistics.median(walls), rss


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "certprobe", "--bin", "check_cert_inventory",
                    "--example", "bench_inventory"],
                   cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as d:
        db = f"{d}/inventory.sqlite"
        started = time.perf_counter()
        subprocess.run([f"{RELEASE}/examples/bench_inventory", db], check=True, stdout=subprocess.DEVNULL)
        print(f"== inventory of 100,000 endpoints and 50,001 certificates made in {time.perf_counter() - started:.1f} s,"
              f" {os.path.getsize(db) / 2**20:.0f} MiB")
        fingerprint = subprocess.run([f"{RELEASE}/certprobe", "--db", db, "inventory", "certificates",
                                      "--expiring", "2", "--format", "csv"],
                                     capture_output=True, text=True).stdout.splitlines()[1].split(",")[0]
        certprobe = [f"{RELEASE}/certprobe", "--db", db, "inventory"]
        queries = [
            ("certificates --expiring 30 (3,750 rows)", certprobe + ["certificates", "--expiring", "30", "--format", "json"]),
            ("certificates --expiring 30 --issuer x --key ECDSA", certprobe + ["certificates", "--expiring", "30", "--issuer", "bench", "--key", "ECDSA", "--format", "csv"]),
            ("where FINGERPRINT-PREFIX", certprobe + ["where", fingerprint.replace(":", "")[:16]]),
            ("where host4242.bench.example", certprobe + ["where", "host4242.bench.example"]),
            ("endpoints --address 10.1.0.0/24", certprobe + ["endpoints", "--address", "10.1.0.0/24", "--format", "csv"]),
            ("endpoints --name host777.bench.example", certprobe + ["endpoints", "--name", "host777.bench.example"]),
            ("endpoints --state critical (875 rows)", certprobe + ["endpoints", "--state", "critical", "--format", "csv"]),
            ("history 10.0.1.2:443", certprobe + ["history", "10.0.1.2:443"]),
            ("runs", certprobe + ["runs"]),
        ]
        plugin = f"{RELEASE}/check_cert_inventory"
        if os.path.exists(plugin):
            queries.append(("check_cert_inventory --ip 10.0.1.2 --port 443",
                            [plugin, "--db", db, "--ip", "10.0.1.2", "--port", "443"]))
            queries.append(("check_cert_inventory --host host777.bench.example",
                            [plugin, "--db", db, "--host", "host777.bench.example"]))
        for label, argv in queries:
            wall, rss = timed(argv, runs)
            print(f"  {label:52} median {wall * 1000:7.2f} ms   peak RSS {rss:6.1f} MiB")


if __name__ == "__main__":
    main()
