#!/usr/bin/env python3
"""Benchmarks `certprobe scan` against nmap on the same loopback endpoints, in one run.

It runs inside a network namespace of its own (re-executing itself under `unshare --net`),
where only the loopback interface exists: servers may listen on the wildcard address there
and still be reachable from 127.0.0.0/8 only.

  1. nginx with an ECDSA P-256 certificate on 8 ports, scanned at 127.1.0.0/24 x 8 ports
     (254 x 8 = 2,032 endpoints), full analysis, every result stored in a fresh SQLite
     inventory; the same endpoints with `nmap -n -Pn --script ssl-cert`.
  2. A sweep of 127.2.0.0/16 (65,534 addresses) x 1 port where nothing listens.
  3. 10,236 endpoints that accept and never answer (one asyncio server), 3 s timeout.

Prints wall time, endpoints per second, ratios and peak RSS (GNU time) for each. Timings are
reported, never asserted.   Run as root:   python3 tests/bench/scan_bench.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench import make_pki, sh  # the plugins' benchmark PKI (a root, an ECDSA P-256 leaf)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CERTPROBE = os.path.join(ROOT, "target", "release", "certprobe")
PORTS = list(range(10001, 10009))


def start_nginx(d):
    listens = "\n".join(f"        listen {port} ssl;" for port in PORTS)
    conf = f"""
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx.error.log;
worker_rlimit_nofile 20000;
events {{ worker_connections 8000; }}
http {{
    access_log off;
    ssl_certificate {d}/leaf.pem;
    ssl_certificate_key {d}/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
{listens}
        return 204;
    }}
}}
"""
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(conf)
    sh("nginx", "-c", f"{d}/nginx.conf", "-p", d)
    time.sleep(0.5)
    return lambda: subprocess.run(["nginx", "-c", f"{d}/nginx.conf", "-p", d, "-s", "stop"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measured(argv):
    """Wall seconds, peak RSS in MiB (GNU time) and the exit code of one run (with
    CERTPROBE_BENCH_CPU=1 in the environment, the CPU seconds too)."""
    with tempfile.NamedTemporaryFile("r") as out:
        started = time.perf_counter()
        code = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", out.name, *argv],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode
        wall = time.perf_counter() - started
        out.seek(0)
        user, system, peak = out.read().split()[-3:]
        rss = int(peak) / 1024
    if os.environ.get("CERTPROBE_BENCH_CPU"):
        print(f"    cpu: user {user} s, system {system} s")
    return wall, rss, code


def report(label, endpoints, wall, rss):
    print(f"  {label:44} {wall:7.2f} s  {endpoints / wall:8.0f} endpoints/s  peak RSS {rss:6.1f} MiB")
    return endpoints / wall


def scan(d, name, targets, ports, extra):
    db = f"{d}/{name}.sqlite"
    argv = [CERTPROBE, "--db", db, "scan", "--targets", targets, "--ports", ports,
            "--ca-file", f"{d}/root.pem", "--no-revocation", "--json", *extra]
    wall, rss, code = measured(argv)
    if code != 0:
        raise SystemExit(f"certprobe scan exited {code} on {name}")
    summary = subprocess.run([CERTPROBE, "--db", db, "inventory", "runs", "--format", "csv"],
                             capture_output=True, text=True).stdout.splitlines()[1].split(",")
    return wall, rss, summary


def live(d):
    print("== 1. 2,032 live TLS endpoints (nginx, ECDSA P-256): 127.1.0.0/24 x 8 ports")
    stop = start_nginx(d)
    try:
        ports = ",".join(str(p) for p in PORTS)
        wall, rss, run = scan(d, "live", "127.1.0.0/24", ports,
                              ["--concurrency", "512"])
        ours = report(f"certprobe scan (stored: {run[9]} served of {run[8]})", 2032, wall, rss)
        if shutil.which("nmap"):
            wall, rss, _ = measured(["nmap", "-n", "-Pn", "-p", ports, "--script", "ssl-cert",
                                     "127.1.0.0/24", "-oN", "/dev/null"])
            theirs = report("nmap -n -Pn --script ssl-cert", 2032, wall, rss)
            print(f"  ratio: certprobe is {ours / theirs:.1f}x nmap's rate")
        print("  Icinga x509 module, measured on this machine class (../shared/reference/fleet.md G):"
              " about 67 endpoints/s;")
        print(f"  ratio: certprobe is {ours / 67:.0f}x the module's rate")
    finally:
        stop()


def dead(d):
    print("== 2. 65,534 addresses x 1 port where nothing listens: 127.2.0.0/16 port 9")
    wall, rss, run = scan(d, "dead", "127.2.0.0/16", "9", ["--concurrency", "2000"])
    report(f"certprobe scan ({run[11]} silent)", 65534, wall, rss)


STALL_SERVER = r"""
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
held = []
async def hold(reader, writer):
    held.append(writer)
    await asyncio.sleep(3600)
async def main():
    server = await asyncio.start_server(hold, "0.0.0.0", int(sys.argv[1]), backlog=4096)
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def stalled(d):
    print("== 3. 10,236 endpoints that accept and never answer, 3 s timeout")
    server = subprocess.Popen([sys.executable, "-c", STALL_SERVER, "10443"], stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()
        wall, rss, run = scan(d, "stalled", "127.3.0.0/19,127.3.32.0/21", "10443",
                              ["--concurrency", "12000", "--timeout", "3s", "--connect-timeout", "3s",
                               "--per-host", "1"])
        report(f"certprobe scan ({run[10]} answered without a certificate)", 10236, wall, rss)
    finally:
        server.kill()


def main():
    if os.environ.get("CERTPROBE_BENCH_NETNS") != "1":
        sh("cargo", "build", "--release", "--quiet", "--bin", "certprobe", cwd=ROOT)
        env = dict(os.environ, CERTPROBE_BENCH_NETNS="1")
        os.execvpe("unshare", ["unshare", "--net", sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    sh("ip", "link", "set", "lo", "up")
    parts = sys.argv[1:] or ["live", "dead", "stalled"]
    with tempfile.TemporaryDirectory() as d:
        make_pki(d)
        for part in parts:
            {"live": live, "dead": dead, "stalled": stalled}[part](d)


if __name__ == "__main__":
    main()
