#!/usr/bin/env python3
"""Times the notifier, the reports and the dashboard on the 100,000-endpoint inventory.

examples/bench_inventory.rs makes the inventory (50,000 certificates ending over the next 400
days, each on two endpoints). Against it, in one run:
  - the baseline: `certprobe inventory endpoints --format json`, which reads every endpoint;
  - `certprobe notify`: the first run (every certificate within 90 days is news), a run with
    nothing new, and a run five days later (about 5,000 tier crossings), without receivers
    (planning and the outbox only) and with one SNMP v2c receiver on a closed loopback port
    (the sending as well: a trap is one UDP datagram);
  - `certprobe report --only NAME` for each report;
  - `certprobe serve`: the time to its first page (the first judgement), each page's median,
    and after a change (a certificate audited) the next pages (made from the previous
    judgement while the new one is made) and how long until the change shows.
Prints wall times, ratios to the baseline, and peak RSS (GNU time). Timings are reported,
never asserted.

    python3 tests/bench/report_bench.py [RUNS]
"""

import html
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASE = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target", "release")
CERTPROBE = f"{RELEASE}/certprobe"
DAY = 86400


def timed(argv, runs=1):
    """Median wall time of `runs` runs, and the peak RSS of one more (MiB)."""
    walls = []
    out = ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr}")
        out = done.stdout
    return statistics.median(walls), out


def rss(argv):
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.seek(0)
        return int(out.read().split()[-1]) / 1024


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "certprobe", "--example", "bench_inventory"],
                   cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as d:
        db = f"{d}/inventory.sqlite"
        subprocess.run([f"{RELEASE}/examples/bench_inventory", db], check=True, stdout=subprocess.DEVNULL)
        owners = ('[[owner]]\nname = "even"\ncertificates = ["*0.bench.example", "*2.bench.example", "*4.bench.example"]\n\n'
                  '[[owner]]\nname = "net"\nservers = ["10.1.0.0/16"]\n')
        quiet = f"{d}/quiet.toml"
        with open(quiet, "w") as f:
            f.write(owners)
        traps = f"{d}/traps.toml"
        with open(traps, "w") as f:
            f.write('[notify]\nsnmp = [{ target = "udp:127.0.0.1:9", version = "2c", community = "public" }]\n\n' + owners)

        base, _ = timed([CERTPROBE, "--db", db, "inventory", "endpoints", "--format", "json"], runs)
        print(f"== 100,000 endpoints, 50,000 certificates; baseline `inventory endpoints --format json`: "
              f"{base * 1000:.0f} ms, peak RSS {rss([CERTPROBE, '--db', db, 'inventory', 'endpoints', '--format', 'json']):.0f} MiB")

        def line(label, wall, argv):
            print(f"  {label:58} {wall * 1000:7.0f} ms  {wall / base:5.2f}x baseline  peak RSS {rss(argv):6.1f} MiB")

        now = int(time.time())
        for config, label in ((quiet, "no receivers"), (traps, "one SNMP receiver")):
            work = f"{d}/notify.sqlite"
            shutil.copy(db, work)
            notify = [CERTPROBE, "--db", work, "notify", "--config", config]
            wall, out = timed(notify + ["--now", str(now)])
            print(f"  notify, {label}: first run: {out.splitlines()[0]}: {wall * 1000:.0f} ms")
            steady = notify + ["--now", str(now)]
            wall, out = timed(steady, runs)
            line(f"notify, {label}, nothing new ({out.splitlines()[0].split(';')[0]})", wall, steady)
            later = notify + ["--now", str(now + 5 * DAY)]
            # Each timed run must find the crossings new: a fresh copy of the told state each time.
            walls = []
            for _ in range(runs):
                shutil.copy(db, work)
                subprocess.run(notify + ["--now", str(now)], check=True, stdout=subprocess.DEVNULL)
                w, out = timed(later)
                walls.append(w)
            shutil.copy(db, work)
            subprocess.run(notify + ["--now", str(now)], check=True, stdout=subprocess.DEVNULL)
            line(f"notify, {label}, 5 days on ({out.splitlines()[0].split(';')[0]})", statistics.median(walls), later)

        for name in ("dashboard", "certificates", "daily", "weekly", "compliance", "timeline", "alarms"):
            out_dir = f"{d}/report-{name}"
            argv = [CERTPROBE, "--db", work, "report", "--out", out_dir, "--config", traps, "--only", name]
            wall, _ = timed(argv, runs)
            line(f"report --only {name}", wall, argv)
        argv = [CERTPROBE, "--db", work, "report", "--out", f"{d}/report-all", "--config", traps]
        wall, _ = timed(argv, runs)
        line("report (all seven, 19 files)", wall, argv)

        started = time.perf_counter()
        server = subprocess.Popen([CERTPROBE, "--db", work, "serve", "--listen", "127.0.0.1:0", "--config", traps],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        address = server.stderr.readline().split("http://")[1].split("/")[0]

        def get(path):
            began = time.perf_counter()
            with urllib.request.urlopen(f"http://{address}{path}") as answer:
                body = answer.read()
            return time.perf_counter() - began, body

        try:
            get("/")
            print(f"  serve: started and first judgement done after {(time.perf_counter() - started) * 1000:.0f} ms")
            for path in ("/", "/daily", "/weekly", "/compliance", "/timeline", "/alarms", "/certificates",
                         "/certificates?q=host4242", "/endpoints", "/endpoints?q=10.1.2."):
                walls = []
                for _ in range(runs):
                    wall, body = get(path)
                    walls.append(wall)
                print(f"  serve {path:30} median {statistics.median(walls) * 1000:6.1f} ms, "
                      f"slowest {max(walls) * 1000:6.1f} ms ({len(body) / 1024:.0f} KiB)")
            # One certificate's page: its deployments, history and findings read per request.
            listed = html.unescape(get("/certificates")[1].decode())
            page = "/certificates/" + listed.split('href="/certificates/')[1].split('"')[0]
            walls = [get(page)[0] for _ in range(runs)]
            print(f"  serve {'/certificates/SHA256':30} median {statistics.median(walls) * 1000:6.1f} ms, "
                  f"slowest {max(walls) * 1000:6.1f} ms")
            # A change: one more certificate audited from a file. The next page is made at once
            # from the previous judgement while the new one is made; then the change shows.
            pem = f"{d}/fresh/fresh.pem"
            os.makedirs(os.path.dirname(pem))
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", f"{d}/fresh.key", "-out", pem, "-days", "20",
                            "-subj", "/CN=fresh.bench.example"], check=True, capture_output=True)
            subprocess.run([CERTPROBE, "--db", work, "audit", os.path.dirname(pem), "--job", "fresh",
                            "--no-revocation"], capture_output=True)
            changed = time.perf_counter()
            after = [get("/") for _ in range(3)]
            marked = sum(b'class="updating"' in body for _, body in after)
            while b"1 of" not in get("/certificates?q=fresh.bench.example")[1]:
                if time.perf_counter() - changed > 60:
                    raise SystemExit("the audited certificate did not show within 60 s")
                time.sleep(0.05)
            print(f"  serve / after a change: {', '.join(f'{w * 1000:.0f}' for w, _ in after)} ms "
                  f"({marked} of 3 marked updating); "
                  f"the change shows after {(time.perf_counter() - changed) * 1000:.0f} ms")
            print(f"  serve peak RSS {rss_of(server.pid):.0f} MiB")
        finally:
            server.terminate()
            server.wait()


def rss_of(pid):
    """The peak RSS (MiB) of a running process."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
