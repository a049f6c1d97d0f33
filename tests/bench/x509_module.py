"""The Icinga x509 module (Debian 12's icingaweb2-module-x509 1.1.x) set up for the scan benchmark.

Everything is private to one temporary folder: a MariaDB started by tests/daemons/mariadb.sh (the
same way the test suite starts it, on 127.0.0.1 inside the benchmark's network namespace), the
module's schema loaded into a fresh `x509` database, and an Icinga Web 2 config dir that
icingacli reads through ICINGAWEB_CONFIGDIR (the DB resource, the module's backend, the jobs, the
module enabled). The benchmark's root is imported as trusted, so the module verifies every chain
it finds (one `openssl verify` per chain, after the scan, in the same command) as certprobe does.

scan_bench.py times `icingacli x509 scan` itself, with the same `measured()` as the other tools.
"""

import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = "/usr/share/icingaweb2/modules/x509"
SCHEMA = f"{MODULE}/etc/schema/mysql.schema.sql"
MARIADB_SH = os.path.join(ROOT, "tests", "daemons", "mariadb.sh")
INSTALL = "apt-get install icingaweb2-module-x509 icingacli php8.2-mysql php8.2-gmp mariadb-server"


def version():
    """The installed module's version from its module.info, or None."""
    try:
        with open(f"{MODULE}/module.info") as f:
            for line in f:
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def missing():
    """Why the module cannot be measured here (a short phrase), or None when it can."""
    for tool in ("icingacli", "php", "mariadbd", "mariadb-install-db", "mariadb"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    found = version()
    if found is None:
        return "the module is not installed"
    # 1.2 and later keep jobs in the database and need a migration step: not set up here.
    if not found.startswith("1.1."):
        return f"module version {found} found; this benchmark sets up 1.1.x (Debian 12's)"
    # The scanner needs gmp (not pulled in by the package) and the MySQL PDO driver.
    code = subprocess.run(["php", "-r", 'exit(extension_loaded("gmp") && extension_loaded("pdo_mysql") ? 0 : 1);'],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30).returncode
    if code != 0:
        return "PHP lacks gmp or pdo_mysql"
    return None


class Module:
    """A private MariaDB plus a private Icinga Web 2 config dir under `folder`.

    The module's DB resource speaks TCP to 127.0.0.1:`port` (ipl's MySQL DSN has no socket
    option); the benchmark runs in its own network namespace, so that address is private."""

    def __init__(self, folder, chain, key, port):
        self.folder = folder
        self.db_dir = f"{folder}/mariadb"
        self.config = f"{folder}/icingaweb2"
        self.port = port
        self.env = dict(os.environ, ICINGAWEB_CONFIGDIR=self.config)
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o755)  # the mysql user must reach the data dir below it
        # mariadb.sh serves TLS too (it takes a chain and key); the module does not use it.
        result = subprocess.run(["bash", MARIADB_SH, "start", self.db_dir, chain, key, str(port), "unused"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"MariaDB did not start: {result.stderr.strip()[-300:]}")
        try:
            self.sql("CREATE DATABASE x509")
            with open(SCHEMA) as schema:
                self.sql(schema.read(), database="x509")
            self.write_config()
        except BaseException:
            self.stop()
            raise

    def sql(self, statements, database=None):
        """Runs SQL as MariaDB's root over the private socket; returns the tab-separated output."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.db_dir}/sock", "-u", "root", "--batch",
                "--skip-column-names", *([database] if database else [])]
        result = subprocess.run(argv, input=statements, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb: {result.stderr.strip()[-300:]}")
        return result.stdout

    def write_config(self):
        """resources.ini, the module's config.ini (its default parallelism is kept: 256) and an
        empty jobs.ini, and the module enabled by a symlink as `icingacli module enable` makes."""
        os.makedirs(f"{self.config}/modules/x509", exist_ok=True)
        os.makedirs(f"{self.config}/enabledModules", exist_ok=True)
        os.symlink(MODULE, f"{self.config}/enabledModules/x509")
        with open(f"{self.config}/resources.ini", "w") as f:
            f.write(f'[x509]\ntype = "db"\ndb = "mysql"\nhost = "127.0.0.1"\nport = "{self.port}"\n'
                    f'dbname = "x509"\nusername = "root"\npassword = ""\ncharset = "utf8mb4"\n')
        with open(f"{self.config}/modules/x509/config.ini", "w") as f:
            f.write('[backend]\nresource = "x509"\n')
        open(f"{self.config}/modules/x509/jobs.ini", "w").close()

    def add_job(self, name, cidrs, ports):
        with open(f"{self.config}/modules/x509/jobs.ini", "a") as f:
            f.write(f'[{name}]\ncidrs = "{cidrs}"\nports = "{ports}"\n')

    def icingacli(self, *args, timeout=120):
        """Runs one icingacli command with this config dir; raises with its stderr on failure."""
        result = subprocess.run(["icingacli", *args], env=self.env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"icingacli {' '.join(args)} exited {result.returncode}: "
                               f"{(result.stderr or result.stdout).strip()[-300:]}")
        return result.stdout

    def trust(self, pem):
        """Imports a CA bundle into the module's trust store (`icingacli x509 import`)."""
        return self.icingacli("x509", "import", "--file", pem).strip()

    def scan_argv(self, job):
        """The scan command users run. 1.1.x scans every target of the job each time (it has no
        --full, --rescan or --since-last-scan; those came in 1.2) and verifies the chains after."""
        return ["icingacli", "x509", "scan", "--job", job]

    def stored(self):
        """Targets that have a certificate chain stored, and chains found valid (trusted)."""
        out = self.sql("SELECT COUNT(*) FROM x509_target WHERE latest_certificate_chain_id IS NOT NULL;"
                       "SELECT COUNT(*) FROM x509_target t JOIN x509_certificate_chain c"
                       " ON c.id = t.latest_certificate_chain_id WHERE c.valid = 'yes';", database="x509")
        targets, valid = (int(n) for n in out.split())
        return targets, valid

    def stop(self):
        subprocess.run(["bash", MARIADB_SH, "stop", self.db_dir], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
