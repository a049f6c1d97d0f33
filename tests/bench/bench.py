#!/usr/bin/env python3
"""Times check_tls_cert against `openssl s_client` on the same loopback endpoint, in the same run.

The endpoint is `openssl s_server` on 127.0.0.1 with a CA-issued ECDSA P-256 certificate made on
the spot. Both clients run RUNS times, interleaved so that machine noise hits both alike. Prints
the median wall time of each, the ratio, the peak RSS of each (by GNU time) and the size of the
stripped release binary. Timings are reported, never asserted.

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
BINARY = os.path.join(ROOT, "target", "release", "check_tls_cert")
NAME = "bench.example"


def sh(*args, **kw):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


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


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sh("cargo", "build", "--release", "--quiet", "--bin", "check_tls_cert", cwd=ROOT)
    with tempfile.TemporaryDirectory() as d:
        make_pki(d)
        server, port = start_server(d)
        try:
            ours = [BINARY, "-H", NAME, "--address", "127.0.0.1", "-p", str(port), "--ca-file", f"{d}/root.pem"]
            theirs = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME]
            code = timed(ours)[1]
            if code != 0:
                raise SystemExit(f"check_tls_cert exited {code}; the benchmark endpoint is broken")
            results = {"check_tls_cert": [], "openssl s_client": []}
            for _ in range(runs):
                for label, argv in (("check_tls_cert", ours), ("openssl s_client", theirs)):
                    results[label].append(timed(argv)[0])
            rss = {"check_tls_cert": peak_rss_kib(ours), "openssl s_client": peak_rss_kib(theirs)}
        finally:
            server.kill()
            server.wait()

    median = {k: statistics.median(v) for k, v in results.items()}
    print(f"runs: {runs} each, interleaved, endpoint openssl s_server on 127.0.0.1 (ECDSA P-256, TLS 1.3)")
    for k in results:
        peak = "n/a (install GNU time)" if rss[k] is None else f"{rss[k] / 1024:6.2f} MiB"
        print(f"{k:18} median {median[k] * 1000:7.2f} ms   peak RSS {peak}")
    print(f"ratio check_tls_cert / openssl s_client: {median['check_tls_cert'] / median['openssl s_client']:.2f}x (target <= 0.70x)")
    print(f"stripped release binary: {os.path.getsize(BINARY) / 1024 / 1024:.2f} MiB (target < 4 MiB)")


if __name__ == "__main__":
    main()
