//! `check_cert_inventory` as a monitoring system runs it: real loopback servers scanned by the
//! `certprobe` binary into a real SQLite inventory, then the plugin binary, its exact lines and
//! exit codes.

mod common;

use certprobe::clock::format_utc;
use certprobe_testkit::{serve_tls_at, Leaf, LeafSpec, Running};
use common::{run_plugin, Run};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const INTERMEDIATE: &str = common::INTERMEDIATE_CN;
const DAY: i64 = 86_400;

/// Scanned endpoints, the servers behind them and the inventory they are in.
struct Lab {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// 127.0.12.1:`good` www.inv.test, 200 days left.
    good: u16,
    good_leaf: Leaf,
    /// 127.0.12.1:`soon` www.inv.test, valid from 100 days ago for 20 more days.
    soon: u16,
    soon_leaf: Leaf,
    /// The servers: 127.0.12.1:`good`, 127.0.12.1:`soon`, and 127.0.12.2:`good` with
    /// api.inv.test, scanned with the name wrong.inv.test.
    servers: Vec<Running>,
}

impl Lab {
    fn db(&self) -> &str {
        self.db.to_str().unwrap()
    }

    /// check_cert_inventory --db DB with `args`.
    fn check(&self, args: &[&str]) -> Run {
        let mut all = vec!["--db", self.db()];
        all.extend_from_slice(args);
        check_cert_inventory(&all)
    }

    /// `certprobe scan` of the lab's job with these ports.
    fn scan(&self, ports: &[u16]) {
        scan(&self.db, ports);
    }

    /// The stored last scan of 127.0.12.1:`port`.
    fn last_scan(&self, port: u16) -> i64 {
        self.last_scan_of("127.0.12.1", port)
    }

    /// The stored last scan of `address`:`port`.
    fn last_scan_of(&self, address: &str, port: u16) -> i64 {
        let db = rusqlite::Connection::open(&self.db).unwrap();
        db.query_row(
            "SELECT last_scan FROM endpoint WHERE address = ?1 AND port = ?2",
            rusqlite::params![address, port],
            |row| row.get(0),
        )
        .unwrap()
    }

    /// Moves the last scan of 127.0.12.1:`port` `seconds` into the past.
    fn age(&self, port: u16, seconds: i64) {
        let db = rusqlite::Connection::open(&self.db).unwrap();
        let changed = db
            .execute(
                "UPDATE endpoint SET last_scan = last_scan - ?2
                 WHERE address = '127.0.12.1' AND port = ?1",
                rusqlite::params![port, seconds],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }
}

fn until(leaf: &Leaf) -> String {
    format_utc(leaf.not_after)
}

/// The perfdata of a leaf with `days` left under `w` and `c`, as check_tls_cert prints it.
fn perfdata(days: &str, w: &str, c: &str) -> String {
    format!(
        "days={days};{w};{c};; key_bits=256;;;; days_chain_elem1={days};{w};{c};; days_chain_elem2=1825.00;{w};{c};;"
    )
}

fn check_cert_inventory(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_cert_inventory"), args)
}

fn serve(ip: &str, port: u16, spec: &LeafSpec) -> (Running, Leaf) {
    let pki = common::pki();
    let leaf = pki.intermediate.issue(spec);
    let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
    let server = serve_tls_at(
        addr,
        vec![leaf.der.clone(), pki.intermediate.der()],
        leaf.key_pkcs8.clone(),
    )
    .unwrap();
    (server, leaf)
}

/// Scans 127.0.12.1 and 127.0.12.2 on `ports` as job `lab`, with www.inv.test as the name of
/// the first and wrong.inv.test of the second.
fn scan(db: &Path, ports: &[u16]) {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .arg("--db")
        .arg(db)
        .args([
            "scan",
            "--job",
            "lab",
            "--targets",
            "127.0.12.1,127.0.12.2",
            "--ports",
            &ports.join(","),
            "--sni",
            "127.0.12.1=www.inv.test",
            "--sni",
            "127.0.12.2=wrong.inv.test",
            "--ca-file",
            &common::root_file(),
            "--no-revocation",
            "--connect-timeout",
            "1s",
            "--timeout",
            "3s",
        ])
        .env_remove("CERTPROBE_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn lab() -> Lab {
    let (good_server, good_leaf) = serve(
        "127.0.12.1",
        0,
        &LeafSpec::new("www.inv.test").valid_until(200.0),
    );
    let good = good_server.addr.port();
    let (soon_server, soon_leaf) = serve(
        "127.0.12.1",
        0,
        &LeafSpec::new("www.inv.test")
            .valid_from(-100.0)
            .valid_until(20.0),
    );
    let soon = soon_server.addr.port();
    let (api_server, _) = serve(
        "127.0.12.2",
        good,
        &LeafSpec::new("api.inv.test").valid_until(200.0),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    scan(&db, &[good, soon]);
    Lab {
        _dir: dir,
        db,
        good,
        good_leaf,
        soon,
        soon_leaf,
        servers: vec![good_server, soon_server, api_server],
    }
}

#[test]
fn one_endpoint_is_judged_as_the_scan_found_it_with_the_expiry_judged_now() {
    let lab = lab();
    let good = lab.good.to_string();
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let expires = until(&lab.good_leaf);
    assert_eq!(
        run.lines(),
        [
            format!(
                "CERT_INVENTORY OK - www.inv.test:{good} 'www.inv.test' issued by '{INTERMEDIATE}' expires in 200.00 days on {expires}, ECDSA P-256 | {}",
                perfdata("200.00", "30:", "7:")
            ),
            format!("[OK] certificate expires in 200.00 days on {expires}"),
            "[OK] alarm tier OK: expires in more than 90 days".to_string(),
            "[OK] name 'www.inv.test' matches DNS:www.inv.test".to_string(),
            format!("[OK] chain is trusted ({})", common::root_file()),
            format!("[OK] chain as built: www.inv.test > {INTERMEDIATE} > certprobe Test Root (trust anchor)"),
            "[OK] key is ECDSA P-256".to_string(),
            "[OK] signatures use ECDSA-SHA256".to_string(),
            "[OK] negotiated TLSv1.3 with TLS13_AES_256_GCM_SHA384".to_string(),
        ]
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // The scan said OK; this plugin's -w says the certificate is due: WARNING now.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "-w", "250"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY WARNING - www.inv.test:{good} certificate expires in 200.00 days on {expires} | {}",
            perfdata("200.00", "250:", "7:")
        )
    );
    run.assert_line(&format!(
        "[WARNING] certificate expires in 200.00 days on {expires}"
    ));
    run.assert_line("[OK] alarm tier Warning: expires within 8 to 250 days");
    // A Nagios range works as in the plugins.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "-c", "@100:300"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[CRITICAL] certificate expires in 200.00 days on {expires}"
    ));

    // The certificate with 20 days left: WARNING by the default -w 30.
    let soon = lab.soon.to_string();
    let run = lab.check(&["--ip", "127.0.12.1", "--port", &soon]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY WARNING - www.inv.test:{soon} certificate expires in 20.00 days on {} | {}",
            until(&lab.soon_leaf),
            perfdata("20.00", "30:", "7:")
        )
    );

    // The name the second address was scanned with is not its certificate's: CRITICAL, as
    // the scan stored it (found by the SNI name alone).
    let run = lab.check(&["-H", "wrong.inv.test"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY CRITICAL - wrong.inv.test:{good} name 'wrong.inv.test' does not match the certificate (SAN DNS:api.inv.test; CN api.inv.test) | {}",
            perfdata("200.00", "30:", "7:")
        )
    );
    run.assert_line(
        "[CRITICAL] name 'wrong.inv.test' does not match the certificate (SAN DNS:api.inv.test; CN api.inv.test)",
    );
}

#[test]
fn thresholds_as_a_share_of_the_lifetime() {
    let lab = lab();
    let soon = lab.soon.to_string();
    let expires = until(&lab.soon_leaf);
    // Valid 120 days, 20 left: 25% is 30 days, 10% is 12 days.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &soon, "-w", "25%", "-c", "10%"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY WARNING - www.inv.test:{soon} certificate expires in 20.00 days on {expires} | {}",
            perfdata("20.00", "30:", "12:")
        )
    );
    run.assert_line("[OK] alarm tier Warning: expires within 13 to 30 days");
    // 20% is 24 days: CRITICAL.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &soon, "-w", "50%", "-c", "20%"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[CRITICAL] certificate expires in 20.00 days on {expires}"
    ));
    // 15% is 18 days: OK; a share and days mix.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &soon, "-w", "15%", "-c", "7"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.first_line()
            .ends_with(&format!("| {}", perfdata("20.00", "18:", "7:"))),
        "{}",
        run.stdout
    );
    // icingacli's intervals: 3M is 90 days, 1M 30: 20 days left is CRITICAL.
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &soon, "-w", "3M", "-c", "1M"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.first_line()
            .ends_with(&format!("| {}", perfdata("20.00", "90:", "30:"))),
        "{}",
        run.stdout
    );
    // The live plugin takes them too, against the server itself.
    let run = common::check_tls_cert(&[
        "-H",
        "www.inv.test",
        "--address",
        "127.0.12.1",
        "-p",
        &soon,
        "--ca-file",
        &common::root_file(),
        "--no-revocation",
        "-w",
        "25%",
        "-c",
        "10%",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.first_line()
            .ends_with(&format!("| {}", perfdata("20.00", "30:", "12:"))),
        "{}",
        run.stdout
    );
    // -c above -w is refused for shares as for days.
    let run = lab.check(&["--ip", "127.0.12.1", "-w", "10%", "-c", "20%"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.first_line(),
        "CERT_INVENTORY UNKNOWN - invalid arguments: -c 20% is above -w 10%: CRITICAL must come at a smaller share of the lifetime left than WARNING"
    );
}

#[test]
fn without_a_port_every_endpoint_of_the_address_or_name_counts_and_the_worst_wins() {
    let lab = lab();
    let (good, soon) = (lab.good, lab.soon);
    let soon_label = format!("127.0.12.1:{soon} (www.inv.test)");
    let good_label = format!("127.0.12.1:{good} (www.inv.test)");
    let prefixed = |label: &str, days: &str| {
        perfdata(days, "30:", "7:")
            .split(' ')
            .map(|item| {
                let (name, value) = item.split_once('=').unwrap();
                format!("'{label} {name}'={value}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Endpoints in port order.
    let (first, second) = if soon < good {
        ((&soon_label, "20.00"), (&good_label, "200.00"))
    } else {
        ((&good_label, "200.00"), (&soon_label, "20.00"))
    };
    let soon_line = format!(
        "[WARNING] {soon_label} certificate expires in 20.00 days on {}",
        until(&lab.soon_leaf)
    );
    let good_line = format!(
        "[OK] {good_label} 'www.inv.test' issued by '{INTERMEDIATE}' expires in 200.00 days on {}, ECDSA P-256",
        until(&lab.good_leaf)
    );
    let lines = if soon < good {
        [soon_line.clone(), good_line.clone()]
    } else {
        [good_line.clone(), soon_line.clone()]
    };
    let expected = vec![
        format!(
            "CERT_INVENTORY WARNING - 1 of 2 endpoints WARNING: {soon_label} certificate expires in 20.00 days on {} | {} {}",
            until(&lab.soon_leaf),
            prefixed(first.0, first.1),
            prefixed(second.0, second.1)
        ),
        lines[0].clone(),
        lines[1].clone(),
    ];
    for asked in [["--ip", "127.0.12.1"], ["-H", "www.inv.test"]] {
        let run = lab.check(&asked);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert_eq!(run.lines(), expected, "{asked:?}");
    }
    // All OK: the count, and the first certificate to expire.
    let run = lab.check(&["--ip", "127.0.12.1", "-w", "14", "-c", "3"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.first_line().starts_with(&format!(
            "CERT_INVENTORY OK - 2 endpoints OK; the first certificate to expire: {soon_label} in 20.00 days | "
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn a_stale_endpoint_is_never_plain_ok() {
    let lab = lab();
    let good = lab.good.to_string();
    let scanned = format_utc(lab.last_scan(lab.good));
    // The next run of the job leaves the good endpoint out.
    lab.scan(&[lab.soon]);
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY WARNING - www.inv.test:{good} stale: not seen in the latest completed run of job 'lab'; last scanned {scanned} | {}",
            perfdata("200.00", "30:", "7:")
        )
    );
    run.assert_line(&format!(
        "[WARNING] stale: not seen in the latest completed run of job 'lab'; last scanned {scanned}"
    ));
    // The endpoint the run did see is not stale.
    let run = lab.check(&[
        "--ip",
        "127.0.12.1",
        "-p",
        &lab.soon.to_string(),
        "-w",
        "14",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // A stale endpoint that is CRITICAL stays CRITICAL.
    let run = lab.check(&["-H", "wrong.inv.test"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[WARNING] stale: not seen in the latest completed run of job 'lab'; last scanned {}",
        format_utc(lab.last_scan_of("127.0.12.2", lab.good))
    ));
}

#[test]
fn data_older_than_max_age_is_warning_or_the_state_asked_for() {
    let lab = lab();
    let good = lab.good.to_string();
    lab.age(lab.good, 3 * DAY + 60);
    let scanned = format_utc(lab.last_scan(lab.good));
    let old = format!("last scanned {scanned}, 3 days ago: older than --max-age 2d");
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "--max-age", "2d"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_INVENTORY WARNING - www.inv.test:{good} {old} | {}",
            perfdata("200.00", "30:", "7:")
        )
    );
    run.assert_line(&format!("[WARNING] {old}"));
    let run = lab.check(&[
        "--ip",
        "127.0.12.1",
        "-p",
        &good,
        "--max-age",
        "2d",
        "--max-age-state",
        "unknown",
    ]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_line(&format!("[UNKNOWN] {old}"));
    // Young enough.
    for young in ["4d", "80h"] {
        let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "--max-age", young]);
        assert_eq!(run.code, 0, "{young}: {}", run.stdout);
    }
    // The expiry is judged at the current time, not at the scan's.
    assert!(run_days_left(&lab, &good).starts_with("200.00"));
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "--max-age", "2 days"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.first_line(),
        "CERT_INVENTORY UNKNOWN - invalid arguments: invalid value '2 days' for '--max-age <DURATION>': '2 days' is not a duration (use seconds, or a number with ms, s, m, h, d or w: 500ms, 36h, 2d)"
    );
}

/// The days left the JSON output gives for 127.0.12.1:`port`.
fn run_days_left(lab: &Lab, port: &str) -> String {
    let run = lab.check(&["--ip", "127.0.12.1", "-p", port, "-o", "json"]);
    format!(
        "{:.2}",
        run.json()["chain"][0]["days_left"].as_f64().unwrap()
    )
}

#[test]
fn what_the_inventory_cannot_answer_is_unknown_with_a_sentence() {
    let lab = lab();
    let db = lab.db();
    let run = lab.check(&["--ip", "127.0.12.9", "-p", "443"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!("CERT_INVENTORY UNKNOWN - the inventory {db} holds no endpoint at address 127.0.12.9 on port 443\n")
    );
    let run = lab.check(&["-H", "Nowhere.Inv.Test", "--ip", "127.0.12.1"]);
    assert_eq!(
        run.stdout,
        format!("CERT_INVENTORY UNKNOWN - the inventory {db} holds no endpoint at address 127.0.12.1 with SNI name nowhere.inv.test\n")
    );
    // In the caller's format: PRTG sees its error.
    let run = lab.check(&["--ip", "127.0.12.9", "-o", "prtg-json"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.json(),
        serde_json::json!({"prtg": {"error": 1, "text": format!("the inventory {db} holds no endpoint at address 127.0.12.9")}})
    );

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sqlite");
    let missing = missing.to_str().unwrap();
    let run = check_cert_inventory(&["--db", missing, "--ip", "127.0.12.1"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!("CERT_INVENTORY UNKNOWN - cannot open the inventory {missing}: there is no such file (run certprobe scan first)\n")
    );
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "not a database, just notes\n".repeat(100)).unwrap();
    let other = other.to_str().unwrap();
    let run = check_cert_inventory(&["--db", other, "--ip", "127.0.12.1"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!("CERT_INVENTORY UNKNOWN - {other} is not a certprobe inventory\n")
    );

    // Bad arguments: the plugins' usage sentence, in the caller's format.
    let run = lab.check(&["-p", "443"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        "CERT_INVENTORY UNKNOWN - invalid arguments: give --ip ADDR or --host NAME (or both): the endpoint's address or the SNI name it was scanned with; or --source file for the places of local audits\nUsage: check_cert_inventory --ip ADDR | -H NAME [-p PORT] [options]; see --help\n"
    );
    let run = lab.check(&["--ip", "www.inv.test", "-o", "prtg-json"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.json(),
        serde_json::json!({"prtg": {"error": 1, "text": "invalid arguments: invalid value 'www.inv.test' for '--ip <ADDR>': --ip 'www.inv.test' is not an IP address (give a name with --host)"}})
    );
    let run = lab.check(&["--ip", "127.0.12.1", "-p", "0"]);
    assert_eq!(
        run.first_line(),
        "CERT_INVENTORY UNKNOWN - invalid arguments: invalid value '0' for '--port <PORT>': '0' is not a port number (1 to 65535)"
    );

    // CERTPROBE_DB names the inventory when --db does not.
    let out = Command::new(env!("CARGO_BIN_EXE_check_cert_inventory"))
        .args(["--ip", "127.0.12.9"])
        .env("CERTPROBE_DB", db)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "CERT_INVENTORY UNKNOWN - the inventory {db} holds no endpoint at address 127.0.12.9\n"
        )
    );
}

#[test]
fn prtg_gets_the_sensor_of_its_endpoint_or_of_the_worst_one() {
    let lab = lab();
    let good = lab.good.to_string();
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &good, "-o", "prtg-json"]);
    assert_eq!(run.code, 0);
    let mut sensor = run.json();
    // Whole days left: 200 within the second the leaf was issued, 199 after.
    let days = sensor["prtg"]["result"][0]["value"].take();
    assert!(days == 200 || days == 199, "{days}");
    let thumbprint = sha1_hex(&lab.good_leaf.der);
    let channel = |name: &str, value: i64, lookup: &str| serde_json::json!({"channel": name, "value": value, "valuelookup": lookup});
    let standard = |name: &str, value: i64, lookup: &str| {
        channel(
            name,
            value,
            &format!("prtg.standardlookups.sslcertificatesensor.{lookup}"),
        )
    };
    assert_eq!(
        sensor,
        serde_json::json!({"prtg": {
            "result": [
                {"channel": "Days to Expiration", "value": null, "unit": "Count", "limitmode": 1,
                 "limitminwarning": 30, "limitminerror": 7,
                 "limitwarningmsg": "Certificate expires in less than 30 days",
                 "limiterrormsg": "Certificate expires in less than 7 days or has expired"},
                standard("Common Name Check", 5, "cncheck"),
                standard("Public Key Length", 256, "publickeyecc"),
                standard("Root Authority Trusted", 0, "trustedroot"),
                standard("Self-Signed", 0, "selfsigned"),
                channel("Alarm Tier", 0, "certprobe.alarmtier"),
                channel("Check State", 0, "certprobe.state"),
            ],
            "text": format!(
                "OK. Certificate Common Name: www.inv.test - Certificate Thumbprint: {thumbprint} - Issuer: {INTERMEDIATE} - Expires: {} - Alarm Tier: OK",
                until(&lab.good_leaf)
            ),
        }})
    );

    // Both ports: the worst endpoint's sensor, led by the count.
    let before = certprobe_testkit::now();
    let run = lab.check(&["--ip", "127.0.12.1", "-o", "prtg-json"]);
    let sensor = run.json();
    // Whole days left, rounded down as PRTG's own sensor does: 20 only within the second the
    // leaf was made in (its 20 days count from a whole second), 19 after that.
    let whole_days = |at: i64| (lab.soon_leaf.not_after - at).div_euclid(86_400);
    let value = sensor["prtg"]["result"][0]["value"].as_i64();
    assert!(
        value == Some(whole_days(before)) || value == Some(whole_days(certprobe_testkit::now())),
        "{value:?}"
    );
    assert_eq!(sensor["prtg"]["result"][6]["value"], 1);
    assert_eq!(
        sensor["prtg"]["text"],
        format!(
            "WARNING. 2 endpoints (1 WARNING, 1 OK); 127.0.12.1:{} (www.inv.test): Certificate Common Name: www.inv.test - Certificate Thumbprint: {} - Issuer: {INTERMEDIATE} - Expires: {expires} - Alarm Tier: Warning - WARNING: certificate expires in 20.00 days on {expires}",
            lab.soon,
            sha1_hex(&lab.soon_leaf.der),
            expires = until(&lab.soon_leaf)
        )
    );
    // Script v2: the status from the verdict.
    let run = lab.check(&["--ip", "127.0.12.1", "-o", "prtg-v2"]);
    assert_eq!(run.json()["status"], "warning");
}

fn sha1_hex(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn prometheus_and_json_name_each_endpoint_and_what_the_inventory_knows() {
    let lab = lab();
    let run = lab.check(&["--ip", "127.0.12.1", "-o", "prometheus"]);
    assert_eq!(run.code, 0);
    let labels = [
        format!("127.0.12.1:{} (www.inv.test)", lab.good),
        format!("127.0.12.1:{} (www.inv.test)", lab.soon),
    ];
    // One HELP and TYPE per metric, a series per endpoint.
    for name in [
        "certprobe_state",
        "probe_ssl_earliest_cert_expiry",
        "certprobe_inventory_stale",
    ] {
        let helps = run
            .lines()
            .iter()
            .filter(|l| l.starts_with(&format!("# HELP {name} ")))
            .count();
        assert_eq!(helps, 1, "{name}");
    }
    let scanned = lab.last_scan(lab.good);
    for (label, state) in labels.iter().zip(["0", "1"]) {
        run.assert_line(&format!("certprobe_state{{target=\"{label}\"}} {state}"));
        run.assert_line(&format!(
            "certprobe_inventory_stale{{target=\"{label}\"}} 0"
        ));
        run.assert_line(&format!("certprobe_success{{target=\"{label}\"}} 1"));
        run.assert_line(&format!("certprobe_trusted{{target=\"{label}\"}} 1"));
    }
    run.assert_line(&format!(
        "certprobe_inventory_last_scan_timestamp_seconds{{target=\"{}\"}} {scanned}",
        labels[0]
    ));
    run.assert_line(&format!(
        "probe_ssl_earliest_cert_expiry{{target=\"{}\"}} {}",
        labels[1], lab.soon_leaf.not_after
    ));

    let run = lab.check(&[
        "--ip",
        "127.0.12.1",
        "-p",
        &lab.good.to_string(),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0);
    let doc = run.json();
    assert_eq!(doc["plugin"], "check_cert_inventory");
    assert_eq!(doc["state"], "OK");
    assert_eq!(doc["target"]["host"], "www.inv.test");
    assert_eq!(doc["target"]["address"], "127.0.12.1");
    assert_eq!(doc["connection"], serde_json::Value::Null);
    assert_eq!(doc["trust"]["trusted"], true);
    assert_eq!(doc["name_check"]["matched_by"], "DNS:www.inv.test");
    assert_eq!(
        doc["inventory"],
        serde_json::json!({
            "database": lab.db(),
            "endpoint": labels[0],
            "zone": "",
            "address": "127.0.12.1",
            "port": lab.good,
            "sni": "www.inv.test",
            "protocol": "tls",
            "job": "lab",
            "last_scan": scanned,
            "last_scan_utc": format_utc(scanned),
            "stale": false,
            "tls_version": "TLSv1.3",
            "scan_state": "OK",
            "scan_summary": format!(
                "'www.inv.test' issued by '{INTERMEDIATE}' expires in 200.00 days on {}, ECDSA P-256",
                until(&lab.good_leaf)
            ),
        })
    );
    // Several endpoints: one document each, under the overall state.
    let run = lab.check(&["--ip", "127.0.12.1", "-o", "json"]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc["state"], "WARNING");
    let mut shown: Vec<&str> = doc["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["inventory"]["endpoint"].as_str().unwrap())
        .collect();
    shown.sort();
    let mut expected: Vec<&str> = labels.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(shown, expected);
}

#[test]
fn a_server_that_went_away_is_critical_as_the_scan_found_it() {
    let mut lab = lab();
    drop(lab.servers.remove(1));
    lab.scan(&[lab.good, lab.soon]);
    let soon = lab.soon.to_string();
    let run = lab.check(&["--ip", "127.0.12.1", "-p", &soon]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        format!("CERT_INVENTORY CRITICAL - www.inv.test:{soon} connection refused by 127.0.12.1:{soon}\n")
    );
}
