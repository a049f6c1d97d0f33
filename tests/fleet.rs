//! `certprobe scan` and `certprobe inventory` as a user runs them: the binary, a config file,
//! real loopback servers, a real SQLite inventory, and the exact lines printed.

mod common;

use certprobe_testkit::{serve_tls_at, LeafSpec, Running};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::certprobe;

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
    // CSV carries the whole fingerprint; the table its first 8 bytes (which `where` takes).
    let api_sha = sha256_colon(&api_leaf.der);
    assert!(
        wherever
            .stdout
            .lines()
            .skip(1)
            .all(|l| l.contains(&format!(",{api_sha},"))),
        "{}",
        wherever.stdout
    );
    let table = certprobe(&db, &["inventory", "where", "api.fleet.test"]);
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    assert!(
        table
            .stdout
            .lines()
            .skip(1)
            .all(|l| l.contains(&format!(" {}  ", &api_sha[..23])) && !l.contains(&api_sha)),
        "{}",
        table.stdout
    );

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
    std::fs::write(&config, "[defaults]\ntimeout = \"3s\"\n").unwrap();
    let out = certprobe(
        &db,
        &["scan", "--config", config.to_str().unwrap(), "--job", "dmz"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "certprobe: the config has no job 'dmz' (it has no [[job]])\n"
        )
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
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (2, "certprobe: 'nonsense' is neither ADDRESS:PORT[/PROTO] nor a SHA-256 prefix of 8 or more hex digits\n")
    );
}

#[test]
fn exports_for_director_zabbix_and_prometheus() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (www, www_leaf) = serve_name("127.0.14.1", 0, "www.fleet.test", 60.0);
    let port = www.addr.port();
    let (_api, api_leaf) = serve_name("127.0.14.2", port, "api.fleet.test", 200.0);
    // The same name behind a second address (a load balancer), and an address with no name.
    let (_www2, _) = serve_name("127.0.14.3", port, "www.fleet.test", 60.0);
    let (_bare, _) = serve_name("127.0.14.4", port, "bare.fleet.test", 90.0);
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            r#"[defaults]
connect_timeout = "1s"
timeout = "3s"
ca_files = ["{root}"]
no_revocation = true

[[job]]
name = "lab"
targets = ["127.0.14.0/29"]
ports = ["{port}"]
sni = {{ "127.0.14.1" = ["www.fleet.test"], "127.0.14.2" = ["api.fleet.test", "wrong.fleet.test"], "127.0.14.3" = ["www.fleet.test"] }}
"#,
            root = common::root_file()
        ),
    )
    .unwrap();
    let scan = certprobe(&db, &["scan", "--config", config.to_str().unwrap()]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);

    let hosts = certprobe(&db, &["inventory", "export", "--to", "director-hosts"]);
    assert_eq!(hosts.code, 0, "{}", hosts.stderr);
    assert_eq!(
        hosts.stdout,
        format!(
            "host_name_or_ip,host_ip,host_name,host_ports,host_address,host_address6\r\n\
             127.0.14.1,127.0.14.1,www.fleet.test,{port},127.0.14.1,\r\n\
             127.0.14.3,127.0.14.3,www.fleet.test,{port},127.0.14.3,\r\n\
             127.0.14.4,127.0.14.4,,{port},127.0.14.4,\r\n\
             api.fleet.test,127.0.14.2,api.fleet.test,{port},127.0.14.2,\r\n\
             wrong.fleet.test,127.0.14.2,wrong.fleet.test,{port},127.0.14.2,\r\n"
        )
    );
    let hosts_json = certprobe(
        &db,
        &[
            "inventory",
            "export",
            "--to",
            "director-hosts",
            "--format",
            "json",
        ],
    );
    let rows: serde_json::Value = serde_json::from_str(&hosts_json.stdout).unwrap();
    assert_eq!(
        rows[2],
        serde_json::json!({
            "host_name_or_ip": "127.0.14.4", "host_ip": "127.0.14.4", "host_name": null,
            "host_ports": port.to_string(), "host_address": "127.0.14.4", "host_address6": null
        })
    );

    let services = certprobe(
        &db,
        &[
            "inventory",
            "export",
            "--to",
            "director-services",
            "--format",
            "json",
        ],
    );
    assert_eq!(services.code, 0, "{}", services.stderr);
    let rows: serde_json::Value = serde_json::from_str(&services.stdout).unwrap();
    let keys: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["host_name_ip_and_port"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            format!("www.fleet.test/127.0.14.1:{port}"),
            format!("api.fleet.test/127.0.14.2:{port}"),
            format!("wrong.fleet.test/127.0.14.2:{port}"),
            format!("www.fleet.test/127.0.14.3:{port}"),
            format!("/127.0.14.4:{port}"),
        ]
    );
    let fingerprint = sha256_colon(&api_leaf.der).replace(':', "");
    assert_eq!(
        rows[2],
        serde_json::json!({
            "host_name_ip_and_port": format!("wrong.fleet.test/127.0.14.2:{port}"),
            "host_ip": "127.0.14.2",
            "host_name": "wrong.fleet.test",
            "host_port": port,
            "host_address": "127.0.14.2",
            "host_address6": null,
            "cert_subject": "api.fleet.test",
            "cert_issuer": "certprobe Test Intermediate",
            "cert_self_signed": "n",
            "cert_trusted": "y",
            "cert_valid_from": rows[2]["cert_valid_from"],
            "cert_valid_to": api_leaf.not_after * 1000,
            "cert_fingerprint": fingerprint,
            "cert_dn": "CN=api.fleet.test,O=certprobe tests",
            "cert_subject_alt_name": "DNS:api.fleet.test",
        })
    );
    let services_csv = certprobe(&db, &["inventory", "export", "--to", "director-services"]);
    assert!(services_csv.stdout.starts_with(
        "host_name_ip_and_port,host_ip,host_name,host_port,host_address,host_address6,cert_subject,cert_issuer,cert_self_signed,cert_trusted,cert_valid_from,cert_valid_to,cert_fingerprint,cert_dn,cert_subject_alt_name\r\n"
    ));
    assert_eq!(services_csv.stdout.lines().count(), 6);

    let lld = certprobe(&db, &["inventory", "export", "--to", "zabbix-lld"]);
    assert_eq!(lld.code, 0, "{}", lld.stderr);
    let entry = |ip: &str, sni: &str| {
        format!("{{\"{{#IP}}\":\"{ip}\",\"{{#PORT}}\":\"{port}\",\"{{#PROTO}}\":\"tls\",\"{{#SNI}}\":\"{sni}\"}}")
    };
    assert_eq!(
        lld.stdout,
        format!(
            "{{\"data\":[{},{},{},{},{}]}}\n",
            entry("127.0.14.1", "www.fleet.test"),
            entry("127.0.14.2", "api.fleet.test"),
            entry("127.0.14.2", "wrong.fleet.test"),
            entry("127.0.14.3", "www.fleet.test"),
            entry("127.0.14.4", "")
        )
    );
    let only_other = certprobe(
        &db,
        &["inventory", "export", "--to", "zabbix-lld", "--job", "dmz"],
    );
    assert_eq!(only_other.stdout, "{\"data\":[]}\n");

    let metrics = certprobe(&db, &["inventory", "export", "--to", "prometheus"]);
    assert_eq!(metrics.code, 0, "{}", metrics.stderr);
    common::promtool(&metrics.stdout);
    let labels = |ip: &str, sni: &str| {
        format!("scan_job=\"lab\",zone=\"\",address=\"{ip}\",port=\"{port}\",sni=\"{sni}\",protocol=\"tls\"")
    };
    let has = |line: &str| {
        assert!(
            metrics.stdout.lines().any(|l| l == line),
            "{line}\nnot in\n{}",
            metrics.stdout
        )
    };
    has(&format!(
        "certprobe_endpoint_state{{{}}} 2",
        labels("127.0.14.2", "wrong.fleet.test")
    ));
    has(&format!(
        "certprobe_endpoint_state{{{}}} 0",
        labels("127.0.14.2", "api.fleet.test")
    ));
    has(&format!(
        "certprobe_endpoint_stale{{{}}} 0",
        labels("127.0.14.4", "")
    ));
    has(&format!(
        "probe_tls_version_info{{{},version=\"TLS 1.3\"}} 1",
        labels("127.0.14.1", "www.fleet.test")
    ));
    // The chain's earliest expiry: the leaf here (the intermediate lives five years).
    has(&format!(
        "probe_ssl_earliest_cert_expiry{{{}}} {}",
        labels("127.0.14.1", "www.fleet.test"),
        www_leaf.not_after
    ));
    let not_after = metrics
        .stdout
        .lines()
        .find(|l| {
            l.starts_with(&format!(
                "x509_cert_not_after{{{}",
                labels("127.0.14.1", "www.fleet.test")
            ))
        })
        .unwrap();
    assert!(
        not_after.contains(",subject_CN=\"www.fleet.test\",issuer_CN=\"certprobe Test Intermediate\",serial_number=\""),
        "{not_after}"
    );
    assert!(
        not_after.ends_with(&format!("\"}} {}", www_leaf.not_after)),
        "{not_after}"
    );
    assert_eq!(
        metrics
            .stdout
            .lines()
            .filter(|l| l.starts_with("x509_cert_expired{"))
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["0"; 5]
    );

    // --output: the file appears whole, under its name only.
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).unwrap();
    let prom = textfiles.join("certprobe.prom");
    let written = certprobe(
        &db,
        &[
            "inventory",
            "export",
            "--to",
            "prometheus",
            "--output",
            prom.to_str().unwrap(),
        ],
    );
    assert_eq!((written.code, written.stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), metrics.stdout);
    let names: Vec<String> = std::fs::read_dir(&textfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["certprobe.prom"]);
    let nowhere = certprobe(
        &db,
        &[
            "inventory",
            "export",
            "--to",
            "prometheus",
            "--output",
            dir.path().join("none/x.prom").to_str().unwrap(),
        ],
    );
    assert_eq!(
        (nowhere.code, nowhere.stderr),
        (
            1,
            format!(
                "certprobe: cannot write {}: no such file or folder\n",
                dir.path().join("none/x.prom").display()
            )
        )
    );
    let wrong = certprobe(
        &db,
        &[
            "inventory",
            "export",
            "--to",
            "zabbix-lld",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        (wrong.code, wrong.stderr.as_str()),
        (2, "certprobe: --format applies to the Director exports only (zabbix-lld is JSON, prometheus the text exposition format)\n")
    );

    // Cleanup: nothing is a day old; with no age at all, everything scanned before now goes.
    let kept = certprobe(&db, &["inventory", "cleanup", "--older-than", "1d"]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(
        kept.stdout.ends_with(
            ": removed 0 endpoints, 0 deployments, 0 events, 0 chains and 0 certificates\n"
        ),
        "{}",
        kept.stdout
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let all = certprobe(
        &db,
        &["inventory", "cleanup", "--older-than", "0", "--json"],
    );
    let removed: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    // 5 endpoints with 5 spans and their 5 "new" events; 4 chains of leaf + intermediate
    // (wrong.fleet.test shares api's); 4 leaves and the intermediate.
    assert_eq!(
        [
            &removed["endpoints"],
            &removed["deployments"],
            &removed["events"],
            &removed["chains"],
            &removed["certificates"]
        ],
        [5, 5, 5, 4, 5]
    );
    let empty = certprobe(&db, &["inventory", "export", "--to", "zabbix-lld"]);
    assert_eq!(empty.stdout, "{\"data\":[]}\n");
    let missing = certprobe(
        &dir.path().join("nothing.sqlite"),
        &["inventory", "cleanup", "--older-than", "90d"],
    );
    assert_eq!(missing.code, 1);
    assert!(missing
        .stderr
        .ends_with("there is no such file (run certprobe scan first)\n"));
}

/// A running `certprobe daemon` whose standard error is read line by line as it comes.
struct Daemon {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Daemon {
    fn start(db: &Path, config: &Path, clock: &str) -> Daemon {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_certprobe"))
            .arg("--db")
            .arg(db)
            .arg("daemon")
            .arg("--config")
            .arg(config)
            .args(["--test-clock", clock])
            .env_remove("CERTPROBE_DB")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("certprobe daemon starts");
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until a line satisfies `done`; returns every line so far.
    fn wait_for(&mut self, what: &str, done: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
        if self.seen.iter().any(|l| done(l)) {
            return self.seen.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = done(&line);
                    self.seen.push(line);
                    if found {
                        return self.seen.clone();
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no line for {what}; the daemon said:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// SIGTERM, as systemd stops it; returns the exit code and every line.
    fn terminate(mut self) -> (i32, Vec<String>) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.wait_for("the end", |l| l == "stopped");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the daemon did not exit after SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        while let Ok(line) = self
            .lines
            .recv_timeout(std::time::Duration::from_millis(200))
        {
            self.seen.push(line);
        }
        (code, self.seen)
    }
}

fn runs_of(db: &Path) -> Vec<serde_json::Value> {
    let runs = certprobe(db, &["inventory", "runs", "--format", "json"]);
    assert_eq!(runs.code, 0, "{}", runs.stderr);
    let mut rows: Vec<serde_json::Value> = serde_json::from_str(&runs.stdout).unwrap();
    rows.reverse();
    rows
}

#[test]
fn the_daemon_runs_a_job_on_its_schedule_until_sigterm() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (www, _) = serve_name("127.0.16.1", 0, "www.fleet.test", 60.0);
    let port = www.addr.port();
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            r#"[defaults]
connect_timeout = "1s"
timeout = "3s"
ca_files = ["{root}"]
no_revocation = true

[[job]]
name = "lab"
targets = ["127.0.16.1"]
ports = ["{port}"]
schedule = "* * * * *"
sni = {{ "127.0.16.1" = ["www.fleet.test"] }}

[[job]]
name = "by-hand"
targets = ["127.0.16.2"]
ports = ["443"]
"#,
            root = common::root_file()
        ),
    )
    .unwrap();
    // The schedule's clock starts ten seconds before 12:01 and runs 30 times as fast: a
    // minute every two seconds.
    let mut daemon = Daemon::start(&db, &config, "2026-12-01T12:00:50,30");
    let lines = daemon.wait_for("three runs", |l| l.starts_with("job 'lab' run 3 "));
    let (code, lines_at_end) = daemon.terminate();
    assert_eq!(code, 0, "{lines_at_end:#?}");
    assert_eq!(
        lines[0],
        "started with 1 job: 'lab' ('* * * * *', next 2026-12-01 12:01); without a schedule, not run: 'by-hand'"
    );
    let runs: Vec<&String> = lines_at_end
        .iter()
        .filter(|l| l.starts_with("job 'lab' run "))
        .collect();
    assert!(runs.len() >= 3, "{lines_at_end:#?}");
    for (n, line) in runs.iter().take(3).enumerate() {
        let (head, tail) = line.split_once(" endpoints in ").unwrap();
        assert_eq!(
            head,
            format!(
                "job 'lab' run {} (due 2026-12-01 12:0{}): done, 1 of 1",
                n + 1,
                n + 1
            )
        );
        assert!(
            tail.ends_with(" s: 1 served a certificate, 0 answered without one, 0 did not answer"),
            "{line}"
        );
    }
    assert!(
        lines_at_end
            .iter()
            .any(|l| l.starts_with("stopping on SIGTERM")),
        "{lines_at_end:#?}"
    );
    assert_eq!(lines_at_end.last().unwrap(), "stopped");
    assert!(
        !lines_at_end.iter().any(|l| l.contains("skipped")),
        "{lines_at_end:#?}"
    );
    // The inventory has the runs the log has, all done, and the endpoint seen by each.
    let recorded = runs_of(&db);
    assert_eq!(recorded.len(), runs.len());
    for run in &recorded {
        assert_eq!(
            (run["job"].as_str(), run["status"].as_str(), &run["served"]),
            (Some("lab"), Some("done"), &serde_json::json!(1))
        );
    }
    let places = certprobe(
        &db,
        &["inventory", "where", "www.fleet.test", "--format", "json"],
    );
    let places: serde_json::Value = serde_json::from_str(&places.stdout).unwrap();
    assert_eq!(places[0]["scans"], serde_json::json!(runs.len()));
}

#[test]
fn the_daemon_notifies_the_owners_after_each_run_once_per_change() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (www, _) = serve_name("127.0.16.3", 0, "www.fleet.test", 20.5);
    let port = www.addr.port();
    let log = dir.path().join("hook.log");
    let hook = dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho \"$CERTPROBE_OWNER $CERTPROBE_EVENT $CERTPROBE_TIER\" >> {}\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            r#"[defaults]
connect_timeout = "1s"
timeout = "3s"
ca_files = ["{root}"]
no_revocation = true

[notify]
hook = "{hook}"

[[owner]]
name = "web-team"
certificates = ["www.fleet.test"]

[[job]]
name = "lab"
targets = ["127.0.16.3"]
ports = ["{port}"]
schedule = "* * * * *"
sni = {{ "127.0.16.3" = ["www.fleet.test"] }}
"#,
            root = common::root_file(),
            hook = hook.display()
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start(&db, &config, "2026-12-01T12:00:50,30");
    daemon.wait_for("two notifier runs", |l| {
        l.starts_with("job 'lab': notify: ") && l.contains("0 notices")
    });
    let (code, lines) = daemon.terminate();
    assert_eq!(code, 0, "{lines:#?}");
    let notified: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("job 'lab': notify: "))
        .collect();
    assert_eq!(notified[0], "job 'lab': notify: 1 notice, 1 message sent");
    assert!(
        notified[1..]
            .iter()
            .all(|l| *l == "job 'lab': notify: 0 notices, 0 messages sent"),
        "{lines:#?}"
    );
    // Each notifier line follows its run's line.
    let first_run = lines
        .iter()
        .position(|l| l.starts_with("job 'lab' run 1 "))
        .unwrap();
    assert_eq!(
        lines[first_run + 1],
        "job 'lab': notify: 1 notice, 1 message sent"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "web-team tier warning\n"
    );
}

#[test]
fn a_run_still_going_is_skipped_and_one_a_signal_interrupted_is_continued_at_start() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    // 127.0.17.1 accepts and never answers: its check takes the whole 3 s timeout.
    let silent = certprobe_testkit::serve_at("127.0.17.1:0".parse().unwrap(), |_stream| {
        std::thread::sleep(std::time::Duration::from_secs(10))
    })
    .unwrap();
    let port = silent.addr.port();
    let (_www, _) = serve_name("127.0.17.2", port, "www.fleet.test", 60.0);
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            r#"[defaults]
connect_timeout = "1s"
timeout = "3s"
concurrency = 1
ca_files = ["{root}"]
no_revocation = true

[[job]]
name = "slow"
targets = ["127.0.17.1", "127.0.17.2"]
ports = ["{port}"]
schedule = "* * * * *"
sni = {{ "127.0.17.2" = ["www.fleet.test"] }}
"#,
            root = common::root_file()
        ),
    )
    .unwrap();
    // A minute a second: the run that starts at 12:01 is still on the silent endpoint at 12:02.
    let mut daemon = Daemon::start(&db, &config, "2026-12-01T12:00:59,60");
    daemon.wait_for("a skipped run", |l| l.contains("skipped"));
    let (code, lines) = daemon.terminate();
    assert_eq!(code, 0, "{lines:#?}");
    // 12:02 on a machine that keeps up; a later minute on one that does not.
    let skipped = lines.iter().find(|l| l.contains("skipped")).unwrap();
    assert!(
        skipped.starts_with("job 'slow' (due 2026-12-01 12:0")
            && skipped.ends_with("): skipped, its run since 2026-12-01 12:01 is still going"),
        "{lines:#?}"
    );
    // SIGTERM during the silent endpoint's check: it ends (its timeout), nothing more starts.
    let stopping = lines
        .iter()
        .position(|l| l == "stopping on SIGTERM: waiting for the scans of 'slow' to stop")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let ran = &lines[stopping + 1];
    assert!(
        ran.starts_with("job 'slow' run 1 (due 2026-12-01 12:01): interrupted (the next start continues it), 1 of 2 endpoints in "),
        "{lines:#?}"
    );
    assert!(
        ran.ends_with(" s: 0 served a certificate, 1 answered without one, 0 did not answer"),
        "{ran}"
    );
    assert_eq!(lines[stopping + 2..], ["stopped"]);
    let recorded = runs_of(&db);
    assert_eq!(
        (
            recorded.len(),
            &recorded[0]["status"],
            &recorded[0]["checked"]
        ),
        (1, &serde_json::json!("interrupted"), &serde_json::json!(1))
    );

    // The next start continues the run at once (the next 12:xx is far away on this clock).
    let mut daemon = Daemon::start(&db, &config, "2026-12-01T12:10:01");
    let lines = daemon.wait_for("the continued run", |l| l.starts_with("job 'slow' run 1 "));
    assert_eq!(
        lines[0],
        "started with 1 job: 'slow' ('* * * * *', next 2026-12-01 12:11)"
    );
    assert!(
        lines[1].starts_with("job 'slow' run 1 (continued): done, 2 of 2 endpoints in "),
        "{lines:#?}"
    );
    assert!(
        lines[1].ends_with(" s: 1 served a certificate, 1 answered without one, 0 did not answer"),
        "{lines:#?}"
    );
    let (code, lines) = daemon.terminate();
    assert_eq!(code, 0);
    assert_eq!(lines[2..], ["stopping on SIGTERM", "stopped"]);
    let recorded = runs_of(&db);
    assert_eq!(
        (
            recorded.len(),
            &recorded[0]["status"],
            &recorded[0]["checked"]
        ),
        (1, &serde_json::json!("done"), &serde_json::json!(2))
    );
}

#[test]
fn the_daemon_refuses_a_config_without_schedules_and_a_bad_clock() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        "[[job]]\nname = \"x\"\ntargets = [\"127.0.0.1\"]\nports = [\"443\"]\n",
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let out = certprobe(&db, &["daemon", "--config", path]);
    assert_eq!(
        (out.code, out.stderr),
        (
            2,
            format!("certprobe: {path}: no job has a schedule; give each job the daemon is to run one, as in schedule = \"0 3 * * *\"\n")
        )
    );
    let out = certprobe(&db, &["daemon", "--config", path, "--test-clock", "soon"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "certprobe: 'soon' is not a test clock (START[,SPEED], as in 2026-12-01T03:00:00,60)\n"
        )
    );
    std::fs::write(
        &config,
        "[defaults]\nrate = -1\n[[job]]\nname = \"x\"\ntargets = [\"127.0.0.1\"]\nports = [\"443\"]\nschedule = \"* * * * *\"\n",
    )
    .unwrap();
    let out = certprobe(&db, &["daemon", "--config", path]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with(&format!("certprobe: {path}:2: rate: ")),
        "{}",
        out.stderr
    );
    assert!(!db.exists(), "a refused start writes nothing");
}

/// The systemd units in packaging/systemd: `systemd-analyze verify` accepts them (with the
/// binary's path put in), and their command lines are ones certprobe accepts.
#[test]
fn the_systemd_units_verify_and_their_commands_run() {
    let dir = temp_dir();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/systemd");
    let binary = env!("CARGO_BIN_EXE_certprobe");
    let config = dir.path().join("certprobe.toml");
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("lab.pem"), common::pki().root.pem()).unwrap();
    std::fs::write(
        &config,
        format!(
            "[defaults]\nconnect_timeout = \"1s\"\n\n[[job]]\nname = \"lab\"\ntargets = [\"127.0.0.1\"]\nports = [\"{}\"]\n\n[[audit]]\nname = \"lab\"\npaths = [\"{}\"]\n",
            certprobe_testkit::refused_port(),
            certs.display()
        ),
    )
    .unwrap();
    let mut commands = Vec::new();
    for (file, instance) in [
        ("certprobe-daemon.service", "certprobe-daemon.service"),
        ("certprobe-scan@.service", "certprobe-scan@lab.service"),
        ("certprobe-scan@.timer", "certprobe-scan@lab.timer"),
        ("certprobe-audit@.service", "certprobe-audit@lab.service"),
        ("certprobe-audit@.timer", "certprobe-audit@lab.timer"),
    ] {
        let text = std::fs::read_to_string(units.join(file)).unwrap();
        for line in text.lines() {
            if let Some(command) = line.strip_prefix("ExecStart=") {
                commands.push(command.replace("%i", "lab"));
            }
        }
        std::fs::write(
            dir.path().join(instance),
            text.replace("/usr/bin/certprobe", binary),
        )
        .unwrap();
    }
    match Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(
            [
                "certprobe-daemon.service",
                "certprobe-scan@lab.service",
                "certprobe-scan@lab.timer",
                "certprobe-audit@lab.service",
                "certprobe-audit@lab.timer",
            ]
            .map(|u| dir.path().join(u)),
        )
        .output()
    {
        Ok(out) => assert!(
            out.status.success() && out.stderr.is_empty(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "systemd-analyze is missing (Debian package systemd; tests/setup.sh installs it)"
            );
            eprintln!("SKIPPED: systemd-analyze is not installed");
        }
    }
    // The units' command lines, with this test's config and inventory.
    let db = dir.path().join("inventory.sqlite");
    assert_eq!(commands.len(), 3, "{commands:?}");
    for command in commands {
        let words: Vec<String> = command
            .split_whitespace()
            .skip(1)
            .map(|w| {
                if w == "/etc/certprobe/certprobe.toml" {
                    config.display().to_string()
                } else {
                    w.to_string()
                }
            })
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let out = certprobe(&db, &words);
        if words[0] == "daemon" {
            // A config without schedules: refused by the daemon, not by the command line.
            assert_eq!(out.code, 2);
            assert!(
                out.stderr.contains("no job has a schedule"),
                "{}",
                out.stderr
            );
        } else if words[0] == "audit" {
            assert_eq!(out.code, 0, "{command}: {}", out.stderr);
            // Its host's name and its time vary; the rest is exact.
            let (head, tail) = out.stdout.split_once(" done: 1 files in ").unwrap();
            assert!(head.starts_with("audit 'lab' of "), "{}", out.stdout);
            assert!(
                tail.ends_with(
                    " s, 1 certificates in 1 places, 0 without a certificate, 0 unreadable, 0 removed; run 2\n"
                ),
                "{}",
                out.stdout
            );
        } else {
            assert_eq!(out.code, 0, "{command}: {}", out.stderr);
            assert!(
                out.stdout.starts_with("job 'lab' done: 1 endpoints"),
                "{}",
                out.stdout
            );
        }
    }
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

/// The times of a check line (`in 0.1 s`, `duration=0.1s`) as `T`.
fn times_masked(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let end = tail
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(tail.len());
        let (number, after) = tail.split_at(end);
        let timed = (head.ends_with("in ") && after.starts_with(" s"))
            || (head.ends_with("duration=") && after.starts_with('s'));
        out.push_str(if timed { "T" } else { number });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[test]
fn a_scan_and_an_audit_answer_as_a_check_with_its_states_and_perfdata() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let (server, _) = serve_name("127.0.18.1", 0, "check.fleet.test", 90.0);
    let port = server.addr.port().to_string();
    let root = common::root_file();
    let scan = certprobe(
        &db,
        &[
            "scan",
            "--targets",
            "127.0.18.1",
            "--ports",
            &port,
            "--ca-file",
            &root,
            "--no-revocation",
            "--as-check",
        ],
    );
    assert_eq!((scan.code, scan.stderr.as_str()), (0, ""));
    assert_eq!(
        times_masked(&scan.stdout),
        "CERT_SCAN OK - job 'adhoc' done: 1 endpoints in T s, 1 served a certificate, 0 answered without one, 0 did not answer | endpoints=1;;;0 certificates=1;;;0 without_certificate=0;;;0 silent=0;;;0 unresolved=0;;;0 duration=Ts;;;0\n"
    );

    // An audit with a file that is no certificate it can read: WARNING, and which file.
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("root.pem"), common::pki().root.pem()).unwrap();
    std::fs::write(
        certs.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIBkz\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let folder = certs.to_str().unwrap();
    let audit = certprobe(&db, &["audit", folder, "--as-check"]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let line = times_masked(&audit.stdout);
    let (head, tail) = line.split_once(" done: ").unwrap();
    assert!(
        head.starts_with("CERT_AUDIT WARNING - audit 'audit' of "),
        "{line}"
    );
    assert!(tail.starts_with(&format!("2 files in T s, 1 certificates in 1 places, 0 without a certificate, 1 unreadable ({folder}/broken.pem: ")), "{line}");
    assert!(
        tail.ends_with("), 0 removed | files=2;;;0 certificates=1;;;0 places=1;;;0 without_certificate=0;;;0 unreadable=1;;;0 removed=0;;;0 duration=Ts;;;0\n"),
        "{line}"
    );

    // What cannot run is CRITICAL; what is asked wrongly, UNKNOWN; in the check's words.
    // (Its folder is a file.)
    let nowhere = certs.join("root.pem").join("inventory.sqlite");
    let refused = certprobe(&nowhere, &["audit", folder, "--as-check"]);
    assert_eq!(
        (refused.code, refused.stdout, refused.stderr.as_str()),
        (
            2,
            format!(
                "CERT_AUDIT CRITICAL - cannot open the inventory {}: {} is a file, not a folder\n",
                nowhere.display(),
                certs.join("root.pem").display()
            ),
            ""
        )
    );
    let wrong = certprobe(&db, &["scan", "--targets", "127.0.18.1:443", "--as-check"]);
    assert_eq!(
        (wrong.code, wrong.stdout.as_str(), wrong.stderr.as_str()),
        (
            3,
            "CERT_SCAN UNKNOWN - '127.0.18.1:443' names a port: give the address or name alone, and its ports with --ports (or a job's ports)\n",
            ""
        )
    );
    let both = certprobe(
        &db,
        &["scan", "--targets", "127.0.18.1", "--as-check", "--json"],
    );
    assert_eq!(
        (both.code, both.stdout.as_str()),
        (
            3,
            "CERT_SCAN UNKNOWN - the argument '--as-check' cannot be used with '--json'\n"
        )
    );
}

/// A scanner that may not reach the inventory: `scan --export` writes a file, `inventory
/// import` loads it centrally, once; events come out as for a direct scan.
#[test]
fn a_scan_exported_to_a_file_is_imported_once_with_its_events() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let root = common::root_file();
    let (server, _) = serve_name("127.0.19.1", 0, "dmz.fleet.test", 20.0);
    let port = server.addr.port().to_string();
    let export = |name: &str| {
        let file = dir.path().join(name);
        let run = certprobe(
            &db,
            &[
                "scan",
                "--targets",
                "127.0.19.1,127.0.19.2",
                "--ports",
                &port,
                "--zone",
                "dmz",
                "--job",
                "dmz",
                "--ca-file",
                &root,
                "--no-revocation",
                "--connect-timeout",
                "1s",
                "--export",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.stdout);
        (file.to_str().unwrap().to_string(), run.stdout)
    };
    let import = |file: &str| {
        let run = certprobe(&db, &["inventory", "import", file]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        run.stdout
    };
    let (first, said) = export("first.json");
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "{said}");
    assert!(
        lines[0].starts_with("job 'dmz' done: 2 endpoints in "),
        "{said}"
    );
    assert!(
        lines[0].ends_with(
            "/s): 1 served a certificate, 0 answered without one, 1 did not answer; exported"
        ),
        "{said}"
    );
    assert_eq!(
        lines[1],
        format!("wrote {first} (1 run, 2 endpoints, 2 certificates): load it with certprobe inventory import")
    );
    assert!(!db.exists(), "an export opened the inventory");
    let (early, _) = export("early.json");

    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    let imported = import(&first);
    assert!(
        imported.starts_with(&format!("scan 'dmz' of {host} from ")),
        "{imported}"
    );
    assert!(
        imported.ends_with(" UTC: imported, 2 endpoints checked; run 1\n")
            && imported.lines().count() == 1,
        "{imported}"
    );
    let endpoints = certprobe(&db, &["inventory", "endpoints", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&endpoints.stdout).unwrap();
    let shown: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r["zone"], r["endpoint"], r["state"]))
        .collect();
    assert_eq!(
        shown,
        [format!("\"dmz\" \"127.0.19.1:{port}\" \"WARNING\"")],
        "the silent address is counted, not stored"
    );
    assert_eq!(
        import(&first),
        imported.replace(
            ": imported, 2 endpoints checked; run 1",
            ": imported before, as run 1; nothing changed"
        )
    );

    // Renewed on the DMZ server: the next export's import says so.
    drop(server);
    let (_renewed, _) = serve_name("127.0.19.1", port.parse().unwrap(), "dmz.fleet.test", 200.0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (second, _) = export("second.json");
    let again = import(&second);
    assert!(
        again.ends_with(": imported, 2 endpoints checked; run 2\n"),
        "{again}"
    );
    let history = certprobe(
        &db,
        &[
            "inventory",
            "history",
            &format!("127.0.19.1:{port}"),
            "--format",
            "json",
        ],
    );
    assert_eq!(history.code, 0, "{}", history.stderr);
    let events: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new", "renewed", "state_changed"]);
    // An export older than what the inventory holds would turn the endpoints back in time.
    let older = import(&early);
    assert!(
        older.ends_with(": not imported: the inventory holds a later scan of it (run 2)\n"),
        "{older}"
    );

    // The file is untrusted: a scan cannot forge a file place of some host.
    let text = std::fs::read_to_string(&second).unwrap();
    let forged = dir.path().join("forged.json");
    std::fs::write(
        &forged,
        text.replacen("\"protocol\":\"tls\"", "\"protocol\":\"file\"", 1),
    )
    .unwrap();
    let refused = certprobe(&db, &["inventory", "import", forged.to_str().unwrap()]);
    assert_eq!(
        (refused.code, refused.stdout.as_str(), refused.stderr),
        (
            2,
            "",
            format!(
                "certprobe: cannot import {}: scan 1, endpoint 1: protocol: not a protocol certprobe scans\n",
                forged.display()
            )
        )
    );
    let refused = certprobe(
        &db,
        &[
            "scan",
            "--targets",
            "127.0.19.1",
            "--export",
            "x",
            "--restart",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .starts_with("error: the argument '--export <FILE>' cannot be used with '--restart'"),
        "{}",
        refused.stderr
    );
    assert!(!Path::new("x").exists());
}

/// SIGTERM, as systemd stops a scan: an exported run ends interrupted and the file holds what
/// it checked; its import stores that much, and nobody continues it.
#[test]
fn an_exported_scan_stopped_by_sigterm_is_written_as_interrupted() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let file = dir.path().join("stopped.json");
    // 64 endpoints that accept and never answer, 3 at a time: each costs the whole timeout.
    let mut servers = Vec::new();
    let mut port = 0;
    for host in 0..64 {
        let addr = format!("127.0.20.{host}:{port}").parse().unwrap();
        let server = certprobe_testkit::serve_at(addr, |_s| {
            std::thread::sleep(std::time::Duration::from_secs(5))
        })
        .unwrap();
        port = server.addr.port();
        servers.push(server);
    }
    let child = Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .arg("--db")
        .arg(&db)
        .args([
            "scan",
            "--targets",
            "127.0.20.0/26",
            "--ports",
            &port.to_string(),
        ])
        .args(["--job", "edge", "--concurrency", "3", "--timeout", "500ms"])
        .args(["--no-revocation", "--export"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lines[0].starts_with("job 'edge' interrupted: "), "{stdout}");
    assert!(lines[0].ends_with(" did not answer; exported"), "{stdout}");
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let scan = &export["scans"][0];
    assert_eq!(scan["status"], "interrupted");
    let checked = scan["counts"]["checked"].as_u64().unwrap();
    assert!(
        (3..60).contains(&checked),
        "{checked} checked before SIGTERM"
    );
    assert_eq!(scan["endpoints"].as_array().unwrap().len() as u64, checked);
    assert!(!db.exists());

    let imported = certprobe(&db, &["inventory", "import", file.to_str().unwrap()]);
    assert!(
        imported
            .stdout
            .ends_with(&format!(": imported, {checked} endpoints checked; run 1\n")),
        "{}{}",
        imported.stdout,
        imported.stderr
    );
    let runs = certprobe(&db, &["inventory", "runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_str(&runs.stdout).unwrap();
    assert_eq!(
        (runs[0]["status"].as_str(), runs[0]["checked"].as_u64()),
        (Some("interrupted"), Some(checked))
    );
    let endpoints = certprobe(&db, &["inventory", "endpoints", "--format", "json"]);
    let endpoints: serde_json::Value = serde_json::from_str(&endpoints.stdout).unwrap();
    assert_eq!(endpoints.as_array().unwrap().len() as u64, checked);
    // Imported once, interrupted or not; a direct scan of the job starts afresh.
    let again = certprobe(&db, &["inventory", "import", file.to_str().unwrap()]);
    assert!(
        again
            .stdout
            .ends_with(": imported before, as run 1; nothing changed\n"),
        "{}",
        again.stdout
    );
    let direct = certprobe(
        &db,
        &[
            "scan",
            "--targets",
            "127.0.20.1",
            "--ports",
            &port.to_string(),
        ],
    );
    assert!(direct.stdout.contains("; run 2\n"), "{}", direct.stdout);
    let direct = certprobe(
        &db,
        &[
            "scan",
            "--targets",
            "127.0.20.1",
            "--ports",
            &port.to_string(),
            "--job",
            "edge",
            "--timeout",
            "500ms",
            "--no-revocation",
        ],
    );
    assert!(
        direct.stdout.contains(" endpoints in ") && direct.stdout.ends_with("; run 3\n"),
        "an imported run was continued: {}",
        direct.stdout
    );
    drop(servers);
}

#[test]
fn two_scanners_share_a_job_through_an_sqlite_inventory() {
    let dir = temp_dir();
    let db = dir.path().join("inventory.sqlite");
    let leaf = common::pki()
        .intermediate
        .issue(&LeafSpec::new("shared.example.test").valid_until(60.5));
    let chain = vec![leaf.der.clone(), common::pki().intermediate.der()];
    let first = serve_tls_at(
        "127.0.25.1:0".parse().unwrap(),
        chain.clone(),
        leaf.key_pkcs8.clone(),
    )
    .unwrap();
    let port = first.addr.port();
    let mut servers = vec![first];
    for host in 2..=14 {
        let addr: SocketAddr = format!("127.0.25.{host}:{port}").parse().unwrap();
        servers.push(serve_tls_at(addr, chain.clone(), leaf.key_pkcs8.clone()).unwrap());
    }
    let root = common::root_file();
    let port_text = port.to_string();
    let args = [
        "scan",
        "--targets",
        "127.0.25.0/28",
        "--ports",
        &port_text,
        "--job",
        "shared",
        "--share",
        "--unit",
        "30",
        "--ca-file",
        &root,
        "--no-revocation",
    ];
    let scanners: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_certprobe"))
                .arg("--db")
                .arg(&db)
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut units = 0;
    for scanner in scanners {
        let out = scanner.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.starts_with("job 'shared' done: 14 endpoints: 14 served a certificate, 0 answered without one, 0 did not answer; run 1, shared: this scanner did "),
            "{text}"
        );
        units += text
            .split("this scanner did ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap();
    }
    // Four /30 units hold the /28's hosts .1 to .14: between them, each once.
    assert_eq!(units, 4);
    let runs = certprobe(&db, &["inventory", "runs", "--format", "json"]).json();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            runs[0]["status"].as_str(),
            runs[0]["checked"].as_u64(),
            runs[0]["served"].as_u64()
        ),
        (Some("done"), Some(14), Some(14))
    );
    let endpoints = certprobe(&db, &["inventory", "endpoints", "--format", "json"]).json();
    assert_eq!(endpoints.as_array().unwrap().len(), 14);
    // One event per endpoint: it appeared, once.
    let history = certprobe(
        &db,
        &["inventory", "history", &format!("127.0.25.7:{port}")],
    );
    assert_eq!(history.lines().len(), 2, "{}", history.stdout);
    assert!(history.lines()[1].contains("new"), "{}", history.stdout);
    drop(servers);
}
