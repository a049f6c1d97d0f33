//! Shared by the integration tests: one test PKI per test process, and running the plugin
//! binary exactly as a monitoring system does.

#![allow(dead_code)]

use certprobe::clock::format_utc;
use certprobe_testkit::{serve, write_temp, Ca, Leaf, LeafSpec, Server};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ROOT_CN: &str = "certprobe Test Root";
pub const INTERMEDIATE_CN: &str = "certprobe Test Intermediate";

pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    pub root_file: PathBuf,
}

/// Root and intermediate (valid 1825 days), made once per test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root = Ca::root(ROOT_CN);
        let intermediate = root.intermediate(INTERMEDIATE_CN, 1825.0);
        let root_file = write_temp("root.pem", root.pem().as_bytes());
        Pki {
            root,
            intermediate,
            root_file,
        }
    })
}

pub fn root_file() -> String {
    pki().root_file.display().to_string()
}

/// Issues a leaf from the intermediate and serves it with the intermediate, as a good server does.
pub fn serve_leaf(spec: &LeafSpec) -> (Server, Leaf) {
    let pki = pki();
    let leaf = pki.intermediate.issue(spec);
    let server = serve(
        vec![leaf.der.clone(), pki.intermediate.der()],
        leaf.key_pkcs8.clone(),
    );
    (server, leaf)
}

/// What one plugin run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts that `line` is one whole line of the output.
    pub fn assert_line(&self, line: &str) {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "no line {line:?} in:\n{}",
            self.stdout
        );
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Runs check_tls_cert with `args`.
pub fn check_tls_cert(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_tls_cert"), args)
}

pub fn check_smtp_cert(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_smtp_cert"), args)
}

pub fn check_lmtp_cert(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_lmtp_cert"), args)
}

pub fn check_ldap_cert(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_ldap_cert"), args)
}

/// Runs a plugin binary as a monitoring system does: arguments, no input; stdout and exit code.
pub fn run_plugin(binary: &str, args: &[&str]) -> Run {
    run_plugin_env(binary, args, &[])
}

/// [`run_plugin`] with these environment variables set.
pub fn run_plugin_env(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let out = Command::new(binary)
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run plugin");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Runs check_tls_cert with no arguments and `input` on stdin, as PRTG Script v2 does.
pub fn check_tls_cert_with_stdin(input: &[u8]) -> Run {
    use std::io::Write;
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_check_tls_cert"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run plugin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write the parameters");
    let out = child.wait_with_output().expect("plugin output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Checks `name` at the server on 127.0.0.1, trusting the test root.
pub fn check_name(name: &str, port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let root = root_file();
    let mut args = vec![
        "-H",
        name,
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
    ];
    args.extend_from_slice(extra);
    check_tls_cert(&args)
}

pub fn date(unix: i64) -> String {
    format_utc(unix)
}

/// The perfdata every successful check prints for a leaf + intermediate chain.
pub fn perfdata(days: &str, key_bits: u32) -> String {
    format!("days={days};30:;7:;; key_bits={key_bits};;;; days_chain_elem1={days};30:;7:;; days_chain_elem2=1825.00;30:;7:;;")
}

/// The channel named `name` in PRTG JSON output.
pub fn channel<'a>(prtg: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    prtg["prtg"]["result"]
        .as_array()
        .and_then(|r| r.iter().find(|c| c["channel"] == name))
        .unwrap_or_else(|| panic!("no channel '{name}' in {prtg}"))
}

/// (value, lookup) of every channel, in order, for whole-sensor assertions.
pub fn channel_values(prtg: &serde_json::Value) -> Vec<(String, i64, String)> {
    prtg["prtg"]["result"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|c| {
                    (
                        c["channel"].as_str().unwrap_or("").to_string(),
                        c["value"].as_i64().unwrap_or(i64::MIN),
                        c["valuelookup"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The PRTG channels of a trusted ECDSA P-256 certificate with 90 days left whose name
/// matches (CN/SAN), with `trusted` for Root Authority Trusted (0 yes, 1 no).
pub fn good_channels(trusted: i64) -> Vec<(String, i64, String)> {
    let lookup = |l: &str| format!("prtg.standardlookups.sslcertificatesensor.{l}");
    vec![
        ("Days to Expiration".to_string(), 90, String::new()),
        ("Common Name Check".to_string(), 5, lookup("cncheck")),
        ("Public Key Length".to_string(), 256, lookup("publickeyecc")),
        (
            "Root Authority Trusted".to_string(),
            trusted,
            lookup("trustedroot"),
        ),
        ("Self-Signed".to_string(), 0, lookup("selfsigned")),
        ("Revoked".to_string(), 0, lookup("revoked")),
        (
            "Alarm Tier".to_string(),
            0,
            "certprobe.alarmtier".to_string(),
        ),
        (
            "Check State".to_string(),
            if trusted == 0 { 0 } else { 2 },
            "certprobe.state".to_string(),
        ),
    ]
}

/// `promtool check metrics` on `text` (the plugins' Prometheus output, the inventory's
/// export); required under CI=true (tests/setup.sh installs it).
pub fn promtool(text: &str) {
    use std::io::Write;
    use std::process::Stdio;
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool is missing (Debian package prometheus; tests/setup.sh installs it)"
        );
        eprintln!("SKIPPED: promtool is not installed");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `certprobe` (the fleet command) with the inventory `db`, as a user runs it.
pub fn certprobe(db: &std::path::Path, args: &[&str]) -> Run {
    certprobe_env(db, args, &[])
}

/// `certprobe audit FOLDER... --ca-file ROOT --no-revocation` into `db`, trusting the test root;
/// it must succeed.
pub fn audit_trusting_root(db: &std::path::Path, folders: &[&std::path::Path]) -> Run {
    let root = root_file();
    let mut args = vec!["audit"];
    args.extend(
        folders
            .iter()
            .map(|f| f.to_str().expect("a UTF-8 temporary path")),
    );
    args.extend(["--ca-file", &root, "--no-revocation"]);
    let audit = certprobe(db, &args);
    assert_eq!(audit.code, 0, "{}{}", audit.stdout, audit.stderr);
    audit
}

/// [`certprobe`] with these environment variables set.
pub fn certprobe_env(db: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let db = db.to_str().expect("a UTF-8 temporary path");
    run_plugin_env(
        env!("CARGO_BIN_EXE_certprobe"),
        &[&["--db", db], args].concat(),
        env,
    )
}

/// A PKCS#12 file at `path` as openssl makes one: `leaf`, its key and the test intermediate.
pub fn pkcs12(path: &std::path::Path, leaf: &certprobe_testkit::Leaf, password: &str) {
    let work = tempfile::tempdir().unwrap();
    let file = |name: &str, text: String| {
        let at = work.path().join(name);
        std::fs::write(&at, text).unwrap();
        at
    };
    let made = Command::new("openssl")
        .args(["pkcs12", "-export", "-name", "vault", "-passout"])
        .arg(format!("pass:{password}"))
        .arg("-in")
        .arg(file("leaf.pem", certprobe_testkit::pem(&leaf.der)))
        .arg("-inkey")
        .arg(file("leaf.key", leaf.key_pem()))
        .arg("-certfile")
        .arg(file("chain.pem", pki().intermediate.pem()))
        .arg("-out")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// A running `certprobe serve`, stopped with SIGTERM when dropped.
pub struct Served {
    child: std::process::Child,
    pub address: String,
}

impl Served {
    pub fn start(db: &std::path::Path, extra: &[&str]) -> Served {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certprobe"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stderr.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Served { child, address }
    }

    /// A raw GET: (status line, headers and body).
    pub fn get(&self, path: &str, authorization: Option<&str>) -> (String, String) {
        let mut stream = std::net::TcpStream::connect(&self.address).unwrap();
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        std::io::Write::write_fmt(
            &mut stream,
            format_args!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n",
                self.address
            ),
        )
        .unwrap();
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
        let (status, rest) = answer.split_once("\r\n").unwrap();
        (status.to_string(), rest.to_string())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
