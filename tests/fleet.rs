//! `certprobe scan` and `certprobe inventory` as a user runs them: the binary, a config file,
//! real loopback servers, a real SQLite inventory, and the exact lines printed.

mod common;

use certprobe_testkit::{serve_tls_at, LeafSpec, Running};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn certprobe(db: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CERTPROBE_DB")
        .output()
        .expect("certprobe runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A server on `ip` (port 0: any) with a leaf for `name` valid `days`, chained to the test PKI.
fn serve_name(ip: &str, port: u16, name: &str, days: f64) -> (Running, certprobe_testkit::Leaf) {
    let pki = common::pki();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new(name).valid_until(days));
    let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
    let server = serve_tls_at(
        addr,
        vec![leaf.der.clone(), pki.intermediate.der()],
        leaf.key_pkcs8.clone(),
    )
    .unwrap();
    (server, leaf)
}

fn sha256_colon(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("certprobe.toml");
    std::fs::write(
        &path,
        format!(
            r#"[defaults]
connect_timeout = "1s"
timeout = "3s"
ca_files = ["{root}"]
no_revocation = true

[[job]]
name = "lab"
targets = ["127.0.11.0/29"]
ports = ["{port}"]
sni = {{ "127.0.11.1" = ["www.fleet.test"], "127.0.11.2" = ["api.fleet.test", "wrong.fleet.test"] }}
"#,
            root = common::root_file()
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_config_job_scans_into_the_inventory_and_every_query_shows_it() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (www, www_leaf) = serve_name("127.0.11.1", 0, "www.fleet.test", 20.0);
    let port = www.addr.port();
    let (_api, api_leaf) = serve_name("127.0.11.2", port, "api.fleet.test", 200.0);
    let config = write_config(dir.path(), port);
    let config = config.to_str().unwrap();

    let scan = certprobe(&db, &["scan", "--config", config, "--job", "lab"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let first = scan.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("job 'lab' done: 7 endpoints in "),
        "{first}"
    );
    assert!(
        first.ends_with("3 served a certificate, 0 answered without one, 4 did not answer; run 1"),
        "{first}"
    );

    let endpoints = certprobe(&db, &["inventory", "endpoints", "--format", "json"]);
    assert_eq!(endpoints.code, 0, "{}", endpoints.stderr);
    let rows: serde_json::Value = serde_json::from_str(&endpoints.stdout).unwrap();
    let shown: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["endpoint"].as_str().unwrap(),
                r["job"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
                r["summary"].as_str().unwrap()
            )
        })
        .collect();
    let until = |leaf: &certprobe_testkit::Leaf| certprobe::clock::format_utc(leaf.not_after);
    assert_eq!(
        shown,
        [
            format!("127.0.11.1:{port} (www.fleet.test) lab WARNING certificate expires in 20.00 days on {}", until(&www_leaf)),
            format!("127.0.11.2:{port} (api.fleet.test) lab OK 'api.fleet.test' issued by 'certprobe Test Intermediate' expires in 200.00 days on {}, ECDSA P-256", until(&api_leaf)),
            format!("127.0.11.2:{port} (wrong.fleet.test) lab CRITICAL name 'wrong.fleet.test' does not match the certificate (SAN DNS:api.fleet.test; CN api.fleet.test)"),
        ]
    );
    let table = certprobe(&db, &["inventory", "endpoints", "--state", "critical"]);
    let table: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(table.len(), 2, "{table:#?}");
    assert_eq!(
        table[0],
        format!(
            "{:<width$}  JOB  STATE     LAST SCAN         DAYS LEFT  SUMMARY",
            "ENDPOINT",
            width = format!("127.0.11.2:{port} (wrong.fleet.test)").len()
        )
    );
    let expiring = certprobe(
        &db,
        &[
            "inventory",
            "certificates",
            "--expiring",
            "30",
            "--format",
            "json",
        ],
    );
    let rows: serde_json::Value = serde_json::from_str(&expiring.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["subject"], "www.fleet.test");
    assert_eq!(rows[0]["sha256"], sha256_colon(&www_leaf.der));
    assert_eq!(rows[0]["endpoints"], 1);
    assert_eq!(rows[0]["worst_state"], "WARNING");

    let prefix = &sha256_colon(&api_leaf.der)[..11];
    let wherever = certprobe(&db, &["inventory", "where", prefix, "--format", "csv"]);
    let places: Vec<&str> = wherever
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            format!("127.0.11.2:{port} (api.fleet.test)"),
            format!("127.0.11.2:{port} (wrong.fleet.test)")
        ]
    );
    let by_name = certprobe(
        &db,
        &["inventory", "where", "api.fleet.test", "--format", "csv"],
    );
    assert_eq!(by_name.stdout, wherever.stdout);

    // The certificate of www is renewed, api goes away: the next scan says so.
    drop(www);
    let (_www2, _) = serve_name("127.0.11.1", port, "www.fleet.test", 90.0);
    drop(_api);
    let rescan = certprobe(&db, &["scan", "--config", config]);
    assert_eq!(rescan.code, 0, "{}", rescan.stderr);
    let history = certprobe(
        &db,
        &[
            "inventory",
            "history",
            &format!("127.0.11.1:{port}"),
            "--format",
            "csv",
        ],
    );
    let events: Vec<String> = history
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap_or_default().to_string())
        .collect();
    assert_eq!(events, ["new", "renewed", "state_changed"]);
    let gone = certprobe(
        &db,
        &[
            "inventory",
            "history",
            &format!("127.0.11.2:{port}"),
            "--format",
            "csv",
        ],
    );
    // Per endpoint, in order (the two endpoints' events interleave as their checks finish).
    let kinds = |name: &str| -> Vec<String> {
        gone.stdout
            .lines()
            .filter(|l| l.contains(name))
            .map(|l| l.split(',').nth(2).unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        kinds("(api.fleet.test)"),
        ["new", "disappeared", "state_changed"]
    );
    assert_eq!(kinds("(wrong.fleet.test)"), ["new", "disappeared"]);

    let runs = certprobe(&db, &["inventory", "runs", "--format", "csv"]);
    let statuses: Vec<String> = runs
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses, ["done", "done"]);
}

#[test]
fn bad_input_gets_one_sentence_and_a_non_zero_exit() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[job]]\nname = \"x\"\ntargets = [\"127.0.0.1\"]\nports = [\"443\",\n  \"70000\"]\n",
    )
    .unwrap();
    let out = certprobe(&db, &["scan", "--config", config.to_str().unwrap()]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            format!(
                "certprobe: {}:5: ports: '70000' is not a port\n",
                config.display()
            )
            .as_str()
        )
    );
    std::fs::write(&config, "[defaults]\nconcurrency = 0\n").unwrap();
    let out = certprobe(&db, &["scan", "--config", config.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "certprobe: {}:2: concurrency: invalid value '0' for '--concurrency <N>'",
            config.display()
        )),
        "{}",
        out.stderr
    );
    let out = certprobe(&db, &["scan", "--targets", "2001:db8::/64"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (2, "certprobe: the range 2001:db8::/64 has 2^64 addresses, more than the 65536 a scan takes without --force\n")
    );
    let out = certprobe(&db, &["inventory", "endpoints"]);
    assert_eq!(
        (out.code, out.stderr.clone()),
        (1, format!("certprobe: cannot open the inventory {}: there is no such file (run certprobe scan first)\n", db.display()))
    );
    let out = certprobe(&db, &["inventory", "history", "nonsense"]);
    assert_eq!(out.code, 2);
}

#[test]
fn a_scan_killed_midway_is_continued_and_nothing_is_stored_twice() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    // 30 endpoints that accept and never answer: each costs the whole timeout.
    let first = certprobe_testkit::serve_at("127.0.15.1:0".parse().unwrap(), |_s| {
        std::thread::sleep(std::time::Duration::from_secs(5))
    })
    .unwrap();
    let port = first.addr.port();
    let mut servers = vec![first];
    for host in 2..=30 {
        let addr = format!("127.0.15.{host}:{port}").parse().unwrap();
        servers.push(
            certprobe_testkit::serve_at(addr, |_s| {
                std::thread::sleep(std::time::Duration::from_secs(5))
            })
            .unwrap(),
        );
    }
    let args = [
        "scan",
        "--targets",
        "127.0.15.0/27",
        "--ports",
        &port.to_string(),
        "--job",
        "slow",
        "--concurrency",
        "3",
        "--timeout",
        "500ms",
        "--no-revocation",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .arg("--db")
        .arg(&db)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2200));
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let runs = certprobe(&db, &["inventory", "runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_str(&runs.stdout).unwrap();
    assert_eq!(runs[0]["status"], "running");
    let before = runs[0]["checked"].as_u64().unwrap();
    assert!(
        (3..30).contains(&before),
        "{before} checked before the kill"
    );

    let again = certprobe(&db, &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("30 endpoints in ") && again.stdout.contains("; run 1, continued"),
        "{}",
        again.stdout
    );
    let endpoints = certprobe(&db, &["inventory", "endpoints", "--format", "json"]);
    let endpoints: serde_json::Value = serde_json::from_str(&endpoints.stdout).unwrap();
    assert_eq!(endpoints.as_array().unwrap().len(), 30);
    let runs = certprobe(&db, &["inventory", "runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_str(&runs.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(
        (runs[0]["status"].as_str(), runs[0]["checked"].as_u64()),
        (Some("done"), Some(30))
    );
    assert_eq!(runs[0]["failed"], 30);
    drop(servers);
}

#[test]
fn a_read_only_inventory_is_a_sentence_and_a_failed_exit() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (_server, _) = serve_name("127.0.16.1", 0, "ro.fleet.test", 90.0);
    let port = _server.addr.port().to_string();
    let scan = [
        "scan",
        "--targets",
        "127.0.16.1",
        "--ports",
        &port,
        "--no-revocation",
    ];
    assert_eq!(certprobe(&db, &scan).code, 0);
    // Owned by root, readable by all: for the user nobody, a database it cannot write.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::set_permissions(file.unwrap().path(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_certprobe"))
        .arg("--db")
        .arg(&db)
        .args(scan)
        .output()
        .expect("setpriv (util-linux) runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "certprobe: cannot write to the inventory {}",
            db.display()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
