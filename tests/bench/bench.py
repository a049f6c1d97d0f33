#!/usr/bin/env python3
"""Times the certprobe plugins against `openssl s_client` on the same loopback endpoints, in one run.

Endpoints, all on 127.0.0.1 with a CA-issued ECDSA P-256 certificate made on the spot:
`openssl s_server` (direct TLS: check_tls_cert), the real Postfix (check_smtp_cert against
`s_client -starttls smtp`) and the real slapd (check_ldap_cert against `s_client -starttls ldap`),
the daemons started by tests/daemons/*.sh when installed. Both clients run RUNS times,
interleaved so that machine noise hits both alike. Prints the median wall time of each, the
ratio, the peak RSS of each (by GNU time) and the size of the stripped release binary.
Timings are reported, never asserted.

    python3 tests/bench/bench.py [RUNS]        (builds the release binary first)
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Where cargo puts release builds: $CARGO_TARGET_DIR (relative to the repo, where cargo runs) or target.
RELEASE = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target", "release")
BINARY = os.path.join(RELEASE, "check_tls_cert")
NAME = "bench.example"


def sh(*args, timeout=1800, **kw):
    """Runs a command quietly; fails on a non-zero exit and after `timeout` seconds (a release build fits)."""
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, **kw)


def make_pki(d):
    """A root and a leaf signed by it, both ECDSA P-256, valid from now."""
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", f"{d}/root.key", "-out", f"{d}/root.pem", "-days", "3650", "-subj", "/CN=bench root")
    sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", f"{d}/leaf.key", "-out", f"{d}/leaf.csr", "-subj", f"/CN={NAME}")
    with open(f"{d}/ext.cnf", "w") as f:
        f.write(f"subjectAltName=DNS:{NAME}\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", f"{d}/leaf.csr", "-CA", f"{d}/root.pem", "-CAkey", f"{d}/root.key",
       "-CAcreateserial", "-out", f"{d}/leaf.pem", "-days", "200", "-extfile", f"{d}/ext.cnf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(d):
    port = free_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{port}", "-cert", f"{d}/leaf.pem",
         "-key", f"{d}/leaf.key", "-naccept", "100000"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.02)
    raise SystemExit("openssl s_server did not start")


def timed(argv):
    """Wall seconds and exit code of one run."""
    started = time.perf_counter()
    code = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - started, code


def peak_rss_kib(argv, runs=5):
    """Peak RSS by GNU time, which forks from a small C process: wait4 from Python would also
    count the Python interpreter's pages that the child held between fork and exec."""
    if not os.path.exists("/usr/bin/time"):
        return None
    with tempfile.NamedTemporaryFile("r") as out:
        peaks = []
        for _ in range(runs):
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out.seek(0)
            peaks.append(int(out.read().split()[-1]))
        return max(peaks)


def compare(title, ours, theirs, runs, labels=("certprobe", "openssl"), target="<= 0.70x"):
    """Interleaved runs of both commands; prints medians, ratio and peak RSS."""
    for argv in (ours, theirs):
        code = timed(argv)[1]
        if code != 0 and os.path.basename(argv[0]) != "openssl":
            raise SystemExit(f"{argv[0]} exited {code} on {title}; the benchmark endpoint is broken")
    walls = {labels[0]: [], labels[1]: []}
    for _ in range(runs):
        for label, argv in ((labels[0], ours), (labels[1], theirs)):
            walls[label].append(timed(argv)[0])
    median = {k: statistics.median(v) for k, v in walls.items()}
    rss = {labels[0]: peak_rss_kib(ours), labels[1]: peak_rss_kib(theirs)}
    print(f"== {title}: {runs} runs each, interleaved")
    for label in labels:
        peak = "n/a (install GNU time)" if rss[label] is None else f"{rss[label] / 1024:6.2f} MiB"
        print(f"  {label:28} median {median[label] * 1000:7.2f} ms   peak RSS {peak}")
    print(f"  ratio: {median[labels[0]] / median[labels[1]]:.2f}x (target {target})")


def full_analysis(runs):
    """The full check (revocation answered from the cache, chain and policy analysis) against
    the plain check (--no-revocation), on the embedded endpoint with an OCSP responder."""
    sh("cargo", "build", "--release", "--quiet", "--example", "bench_endpoint", cwd=ROOT)
    endpoint = subprocess.Popen([os.path.join(RELEASE, "examples", "bench_endpoint")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port, root = endpoint.stdout.readline().split()
        with tempfile.TemporaryDirectory() as cache:
            base = [BINARY, "-H", NAME, "--address", "127.0.0.1", "-p", port, "--ca-file", root]
            compare("full analysis, revocation from the cache, vs the plain check",
                    base + ["--cache-dir", cache], base + ["--no-revocation"], runs,
                    labels=("check_tls_cert (full)", "check_tls_cert (plain)"), target="<= 1.20x")
    finally:
        endpoint.stdin.close()
        endpoint.wait()


def daemon(name, d, port):
    """Starts a real daemon from tests/daemons with the benchmark certificate; None if absent."""
    script = os.path.join(ROOT, "tests", "daemons", f"{name}.sh")
    chain = f"{d}/chain.pem"
    with open(chain, "w") as f:
        f.write(open(f"{d}/leaf.pem").read() + open(f"{d}/root.pem").read())
    folder = f"{d}/{name}"
    result = subprocess.run(["bash", script, "start", folder, chain, f"{d}/leaf.key", str(port), NAME],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        print(f"== {name}: not benchmarked ({result.stderr.strip().splitlines()[-1:] or 'did not start'})")
        return None
    return lambda: subprocess.run(["bash", script, "stop", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sh("cargo", "build", "--release", "--quiet", "--bins", cwd=ROOT)
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        make_pki(d)
        server, port = start_server(d)
        try:
            compare("direct TLS, openssl s_server (ECDSA P-256, TLS 1.3)",
                    [BINARY, "-H", NAME, "--address", "127.0.0.1", "-p", str(port), "--ca-file", f"{d}/root.pem"],
                    ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME], runs)
        finally:
            server.kill()
            server.wait()
        for name, plugin, starttls in (("postfix", "check_smtp_cert", "smtp"), ("slapd", "check_ldap_cert", "ldap")):
            port = free_port()
            stop = daemon(name, d, port)
            if stop is None:
                continue
            try:
                compare(f"{starttls.upper()} STARTTLS, real {name}",
                        [os.path.join(RELEASE, plugin), "-H", NAME, "--address", "127.0.0.1", "-p", str(port),
                         "--ca-file", f"{d}/root.pem"],
                        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls", starttls,
                         "-servername", NAME], runs)
            finally:
                stop()
    full_analysis(runs)
    print(f"stripped release binary: {os.path.getsize(BINARY) / 1024 / 1024:.2f} MiB (target < 4 MiB)")


if __name__ == "__main__":
    main()
