#!/usr/bin/env python3
"""Times one, two and four `certprobe scan --share` processes sharing one job through a
PostgreSQL inventory, in one run.

The endpoints: 127.4.0.0/24 x 2 ports (508 endpoints), each served by one asyncio server that
waits a second before its TLS handshake (a loaded or distant server: the scan waits on the
network, not on its CPU). The job is cut into /28 work units (16); each scanner checks 16
endpoints at a time. Each scanner count scans into a new database of a private PostgreSQL 15
cluster (tests/daemons/postgresql.sh, TLS). Prints the wall time of each, its speed-up over
one scanner, the units each scanner did, and the peak RSS (GNU time). Timings are reported,
never asserted. Run as root.

    python3 tests/bench/shared_scan_bench.py
"""

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from bench import RELEASE, ROOT, free_port, make_pki, sh

CERTPROBE = os.path.join(RELEASE, "certprobe")
SCRIPT = os.path.join(ROOT, "tests", "daemons", "postgresql.sh")
PSQL = "/usr/lib/postgresql/15/bin/psql"
NET = "127.4.0"
PORTS = [11001, 11002]
DELAY = 1.0


def serve(d, ready):
    """Every host of NET.0/24 on PORTS: accept, wait DELAY, then TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(f"{d}/leaf.pem", f"{d}/leaf.key")

    class Slow(asyncio.Protocol):
        """Reads nothing until DELAY has passed (the ClientHello waits in the socket), then TLS."""

        def connection_made(self, transport):
            transport.pause_reading()
            asyncio.get_running_loop().create_task(self.handshake(transport))

        async def handshake(self, transport):
            await asyncio.sleep(DELAY)
            loop = asyncio.get_running_loop()
            try:
                tls = await loop.start_tls(transport, self, context, server_side=True,
                                           ssl_handshake_timeout=10)
                loop.call_later(10, tls.close)
            except Exception:
                transport.close()

        def data_received(self, data):
            pass

    async def main():
        loop = asyncio.get_running_loop()
        servers = []
        for host in range(1, 255):
            for port in PORTS:
                servers.append(await loop.create_server(Slow, f"{NET}.{host}", port, backlog=64))
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def psql(cluster, port, sql):
    subprocess.run([PSQL, "-X", "-q", "-U", "postgres", "-h", cluster, "-p", str(port), "-d", "postgres",
                    "-c", sql], check=True, stdout=subprocess.DEVNULL)


def main():
    sh("cargo", "build", "--release", "--quiet", "--bin", "certprobe", cwd=ROOT)
    d = tempfile.mkdtemp(prefix="certprobe-share-bench-")
    os.chmod(d, 0o755)
    cluster = os.path.join(d, "pg")
    try:
        make_pki(d)
        ready = threading.Event()
        threading.Thread(target=serve, args=(d, ready), daemon=True).start()
        if not ready.wait(30):
            raise SystemExit("the servers did not start")
        port = free_port()
        env = dict(os.environ, SHARED_BUFFERS="128MB", MAX_CONNECTIONS="40")
        subprocess.run(["bash", SCRIPT, "start", cluster, f"{d}/leaf.pem", f"{d}/leaf.key", str(port), "bench"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        ports = ",".join(str(p) for p in PORTS)
        print(f"== {NET}.0/24 x {len(PORTS)} ports (508 endpoints, {DELAY * 1000:.0f} ms before each handshake),"
              f" /28 work units (16), 16 endpoints at a time per scanner")
        single = None
        for scanners in (1, 2, 4):
            name = f"share{scanners}"
            psql(cluster, port, f"CREATE DATABASE {name}")
            url = f"postgres://postgres@127.0.0.1:{port}/{name}?sslmode=require"
            argv = [CERTPROBE, "--db", url, "scan", "--targets", f"{NET}.0/24", "--ports", ports,
                    "--job", "bench", "--share", "--unit", "28", "--ca-file", f"{d}/root.pem",
                    "--no-revocation", "--concurrency", "16", "--timeout", "5s"]
            outs = [tempfile.NamedTemporaryFile("r", dir=d, delete=False) for _ in range(scanners)]
            started = time.perf_counter()
            procs = [subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for out in outs]
            lines = [p.communicate()[0].strip() for p in procs]
            wall = time.perf_counter() - started
            if any(p.returncode != 0 for p in procs):
                raise SystemExit(f"a scanner failed: {lines}")
            single = single or wall
            units = [line.split("this scanner did ")[1].split(" ")[0] for line in lines]
            peak = max(int(open(out.name).read().split()[-1]) for out in outs) / 1024
            print(f"  {scanners} scanner{'s' if scanners > 1 else ' '}  {wall:6.2f} s  {508 / wall:6.0f} endpoints/s"
                  f"  speed-up {single / wall:4.2f}x (ideal {scanners}x)  units {'+'.join(units)}"
                  f"  peak RSS {peak:5.1f} MiB each")
    finally:
        subprocess.run(["bash", SCRIPT, "stop", cluster], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
