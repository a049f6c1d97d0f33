#!/usr/bin/env python3
"""Benchmarks `certprobe scan` against nmap and the Icinga x509 module on the same loopback
endpoints, in one run.

It runs inside a network namespace of its own (re-executing itself under `unshare --net
--mount`), where only the loopback interface exists: servers may listen on the wildcard address
there and still be reachable from 127.0.0.0/8 only. The resolver is pointed at 127.0.0.1 in
that mount namespace, since the module reverse-resolves every target that answers.

  1. nginx with an ECDSA P-256 certificate on 8 ports, scanned at 127.1.0.0/24 x 8 ports
     (254 x 8 = 2,032 endpoints), full analysis, every result stored in a fresh SQLite
     inventory; the same endpoints with `nmap -n -Pn --script ssl-cert`, and with the Icinga
     x509 module (`icingacli x509 scan`, chains stored in a private MariaDB and verified
     against the benchmark's root) when it is installed (see x509_module.py).
  2. A sweep of 127.2.0.0/16 (65,534 addresses) x 1 port where nothing listens (the module too).
  3. 10,236 endpoints that accept and never answer (one asyncio server), 3 s timeout.

Prints wall time, endpoints per second, ratios and peak RSS (GNU time) for each. Timings are
reported, never asserted.   Run as root:   python3 tests/bench/scan_bench.py [live|dead|stalled]
The module, on Debian 12 (its policy-rc.d exiting 101 keeps apt from starting MariaDB):
    apt-get install icingaweb2-module-x509 icingacli php8.2-mysql php8.2-gmp mariadb-server
"""

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import x509_module
from bench import RELEASE, ROOT, make_pki, sh  # the plugins' benchmark PKI (a root, an ECDSA P-256 leaf)

CERTPROBE = os.path.join(RELEASE, "certprobe")
PORTS = list(range(10001, 10009))
MARIADB_PORT = 3306  # inside the namespace: private to it
# certprobe scans the host addresses of a network, without its network and broadcast
# addresses; nmap and the module take every address of a CIDR, so they are given the hosts only.
LIVE_HOSTS = "127.1.0.1-254"


def host_cidrs(network):
    """The host addresses of `network` as the fewest CIDRs, comma-separated (the module's syntax)."""
    net = ipaddress.ip_network(network)
    return ",".join(str(n) for n in ipaddress.summarize_address_range(net[1], net[-2]))


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
    sh("nginx", "-c", f"{d}/nginx.conf", "-p", d, timeout=30)
    time.sleep(0.5)
    return lambda: subprocess.run(["nginx", "-c", f"{d}/nginx.conf", "-p", d, "-s", "stop"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def measured(argv, env=None, log=None, timeout=600):
    """Wall seconds, peak RSS in MiB (GNU time) and the exit code of one run (with
    CERTPROBE_BENCH_CPU=1 in the environment, the CPU seconds too). stderr goes to `log` when
    given. After `timeout` seconds the whole process group is killed (GNU time's child
    included) and the exit code is None. GNU time's peak RSS is the largest single process
    of the tree: for icingacli, the php process (its `openssl verify` children are smaller)."""
    with tempfile.NamedTemporaryFile("r") as out, open(log or os.devnull, "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "-o", out.name, *argv], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return time.perf_counter() - started, 0.0, None
        wall = time.perf_counter() - started
        out.seek(0)
        user, system, peak = out.read().split()[-3:]
        rss = int(peak) / 1024
    if os.environ.get("CERTPROBE_BENCH_CPU"):
        print(f"    cpu: user {user} s, system {system} s")
    return wall, rss, code


def report(label, endpoints, wall, rss):
    print(f"  {label:48} {wall:7.2f} s  {endpoints / wall:8.0f} endpoints/s  peak RSS {rss:6.1f} MiB")
    return endpoints / wall


def scan(d, name, targets, ports, extra):
    db = f"{d}/{name}.sqlite"
    argv = [CERTPROBE, "--db", db, "scan", "--targets", targets, "--ports", ports,
            "--ca-file", f"{d}/root.pem", "--no-revocation", "--json", *extra]
    wall, rss, code = measured(argv)
    if code != 0:
        raise SystemExit(f"certprobe scan exited {code} on {name}")
    summary = subprocess.run([CERTPROBE, "--db", db, "inventory", "runs", "--format", "csv"],
                             capture_output=True, text=True, timeout=60).stdout.splitlines()[1].split(",")
    return wall, rss, summary


def module_scan(d, job, cidrs, ports, endpoints, timeout):
    """Runs the Icinga x509 module's scan of one job against a fresh private database and prints
    its line, or why it was not measured (then returns None). Returns its rate, the targets it
    stored a chain for and the chains it verified as trusted."""
    reason = x509_module.missing()
    if reason:
        print(f"  Icinga x509 module: not measured ({reason}); to measure it: {x509_module.INSTALL}")
        return None
    try:
        module = x509_module.Module(f"{d}/x509-{job}", f"{d}/leaf.pem", f"{d}/leaf.key", MARIADB_PORT)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"  Icinga x509 module: not measured ({e})")
        return None
    try:
        module.add_job(job, cidrs, ports)
        module.trust(f"{d}/root.pem")  # else it ends with "Trust store is empty" and checks no chain
        log = f"{d}/x509-{job}.log"
        wall, rss, code = measured(module.scan_argv(job), env=module.env, log=log, timeout=timeout)
        label = f"icingacli x509 scan (module {x509_module.version()}, parallel 256)"
        if code is None:
            print(f"  {label}: did not finish in {timeout} s; not measured")
            return None
        if code != 0:
            tail = open(log).read().strip().splitlines()[-1:]
            print(f"  {label}: exited {code} after {wall:.1f} s ({' '.join(tail)}); not measured")
            return None
        rate = report(label, endpoints, wall, rss)
        return (rate, *module.stored())
    finally:
        module.stop()


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
                                     LIVE_HOSTS, "-oN", "/dev/null"])
            theirs = report("nmap -n -Pn --script ssl-cert", 2032, wall, rss)
            print(f"  ratio: certprobe is {ours / theirs:.1f}x nmap's rate")
        module = module_scan(d, "live", host_cidrs("127.1.0.0/24"), f"{PORTS[0]}-{PORTS[-1]}", 2032, timeout=300)
        if module:
            theirs, stored, valid = module
            missed = "" if stored >= 2032 else f"; it MISSED {2032 - stored} endpoints"
            print(f"    it stored a chain for {stored} of 2,032 endpoints, {valid} verified as trusted{missed}")
            print(f"  ratio: certprobe is {ours / theirs:.0f}x the module's rate")
    finally:
        stop()


def dead(d):
    print("== 2. 65,534 addresses x 1 port where nothing listens: 127.2.0.0/16 port 9")
    wall, rss, run = scan(d, "dead", "127.2.0.0/16", "9", ["--concurrency", "2000"])
    ours = report(f"certprobe scan ({run[11]} silent)", 65534, wall, rss)
    module = module_scan(d, "dead", host_cidrs("127.2.0.0/16"), "9", 65534, timeout=240)
    if module:
        if module[1]:
            print(f"    it stored a chain for {module[1]} targets where nothing listens")
        print(f"  ratio: certprobe is {ours / module[0]:.0f}x the module's rate")


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


def private_resolver(d):
    """Points this mount namespace's resolver at 127.0.0.1, where nothing answers: the module
    calls gethostbyaddr() for every target that answers, and the host's name server is not on
    loopback. (unshare --mount makes the bind mount private to the benchmark.)"""
    with open(f"{d}/resolv.conf", "w") as f:
        f.write("nameserver 127.0.0.1\n")
    sh("mount", "--bind", f"{d}/resolv.conf", "/etc/resolv.conf", timeout=30)


def main():
    if os.environ.get("CERTPROBE_BENCH_NETNS") != "1":
        sh("cargo", "build", "--release", "--quiet", "--bin", "certprobe", cwd=ROOT)
        env = dict(os.environ, CERTPROBE_BENCH_NETNS="1")
        os.execvpe("unshare", ["unshare", "--net", "--mount", sys.executable, os.path.abspath(__file__),
                               *sys.argv[1:]], env)
    sh("ip", "link", "set", "lo", "up", timeout=30)
    parts = sys.argv[1:] or ["live", "dead", "stalled"]
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)  # the module's MariaDB runs as the mysql user below it
        private_resolver(d)
        make_pki(d)
        for part in parts:
            {"live": live, "dead": dead, "stalled": stalled}[part](d)


if __name__ == "__main__":
    main()
