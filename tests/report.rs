//! `certprobe report` and `certprobe serve` in a real browser: an inventory from a real audit
//! and a real notifier run, the report files and the served pages opened by headless
//! Chromium (Debian's package), the DOM it built asserted (the counts, a known certificate's
//! row), and a screenshot of each page kept in target/screenshots for people to look at.

mod common;

use certprobe_testkit::{pem, KeyType, Leaf, LeafSpec};
use common::{audit_trusting_root, certprobe, pki, root_file, Served};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Chromium, or `None` (and SKIPPED) when it is not installed outside CI.
fn chromium() -> Option<&'static str> {
    if Path::new("/usr/bin/chromium").exists() {
        return Some("/usr/bin/chromium");
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "chromium is not installed (tests/setup.sh installs it)"
    );
    eprintln!("SKIPPED: chromium is not installed");
    None
}

fn browser(chromium: &str, args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The DOM Chromium built for `url`.
fn dom(chromium: &str, url: &str) -> String {
    let out = browser(chromium, &["--dump-dom"], url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A screenshot of `url` into target/screenshots/NAME.png.
fn screenshot(chromium: &str, url: &str, name: &str) {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(format!("{name}.png"));
    let out = browser(
        chromium,
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", file.display()),
        ],
        url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::metadata(&file).unwrap().len() > 10_000,
        "{name}: an empty screenshot"
    );
}

fn cert_file(path: &Path, spec: &LeafSpec) -> Leaf {
    let leaf = pki().intermediate.issue(spec);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, pem(&leaf.der) + &pki().intermediate.pem()).unwrap();
    leaf
}

fn sha(leaf: &Leaf) -> (String, String) {
    let digest = ring::digest::digest(&ring::digest::SHA256, &leaf.der);
    let bytes = digest.as_ref();
    (
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
    )
}

struct Inventory {
    _dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
    shop: Leaf,
}

/// One certificate per tier, an RSA-1024 one and a long-lived one, audited; owners; one
/// notifier run through a hook, for the alarm history.
fn inventory() -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let shop = cert_file(
        &certs.join("shop.pem"),
        &LeafSpec::new("www.shop.example.test").valid_until(5.5),
    );
    cert_file(
        &certs.join("api.pem"),
        &LeafSpec::new("api.example.test").valid_until(20.5),
    );
    cert_file(
        &certs.join("intranet.pem"),
        &LeafSpec::new("intranet.example.test").valid_until(60.5),
    );
    cert_file(
        &certs.join("old.pem"),
        &LeafSpec::new("old.example.test")
            .valid_from(-30.0)
            .valid_until(-2.5),
    );
    cert_file(
        &certs.join("fine.pem"),
        &LeafSpec::new("fine.example.test").valid_until(200.0),
    );
    cert_file(
        &certs.join("legacy.pem"),
        &LeafSpec::new("legacy.example.test")
            .valid_until(300.0)
            .key(KeyType::Rsa(1024)),
    );
    cert_file(
        &certs.join("long.pem"),
        &LeafSpec::new("long.example.test").valid_until(800.0),
    );
    let db = dir.path().join("inventory.sqlite");
    audit_trusting_root(&db, &[&certs]);
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        "[notify]\nhook = \"/bin/true\"\n\n[[owner]]\nname = \"web-team\"\ncertificates = [\"*.shop.example.test\", \"api.example.test\"]\n\n[default_owner]\nname = \"ops\"\n",
    )
    .unwrap();
    let notify = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(notify.code, 0, "{}{}", notify.stdout, notify.stderr);
    Inventory {
        _dir: dir,
        db,
        config,
        shop,
    }
}

/// The count shown on a tier's card.
fn card(dom: &str, tier: &str) -> String {
    let at = dom
        .find(&format!("data-tier=\"{tier}\""))
        .unwrap_or_else(|| panic!("no card {tier}"));
    let rest = &dom[at..];
    let n = rest.find("<div class=\"n\">").unwrap() + "<div class=\"n\">".len();
    rest[n..n + rest[n..].find('<').unwrap()].to_string()
}

#[test]
fn the_report_files_are_self_contained_and_chromium_shows_their_counts() {
    let inv = inventory();
    let out = tempfile::tempdir().unwrap();
    let run = certprobe(
        &inv.db,
        &[
            "report",
            "--out",
            out.path().to_str().unwrap(),
            "--config",
            inv.config.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("19 files in {}: index.html (dashboard), daily, weekly, compliance, timeline and alarms as .html, .csv and .json; certificates.csv and .json\n", out.path().display())
    );
    for page in [
        "index",
        "daily",
        "weekly",
        "compliance",
        "timeline",
        "alarms",
    ] {
        let html = std::fs::read_to_string(out.path().join(format!("{page}.html"))).unwrap();
        // Nothing to run, nothing to fetch.
        assert!(
            !html.contains("<script") && !html.contains(" src=") && !html.contains("url("),
            "{page}"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{page}"
        );
    }
    let (colon, _) = sha(&inv.shop);
    // The CSV and JSON say the same as the pages.
    let csv = std::fs::read_to_string(out.path().join("certificates.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "sha256,subject,issuer,not_after,days_left,tier,alarms,key,signature,endpoints,owners"
    );
    assert_eq!(lines.len(), 8);
    let shop_line = lines.iter().find(|l| l.starts_with(&colon)).unwrap();
    assert!(shop_line.starts_with(&format!("{colon},www.shop.example.test,certprobe Test Intermediate,{},5,critical,,ECDSA 256,ECDSA-SHA256,file:", certprobe::clock::format_utc(inv.shop.not_after))), "{shop_line}");
    assert!(shop_line.ends_with(",web-team"), "{shop_line}");
    let daily: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("daily.json")).unwrap())
            .unwrap();
    let tiers: Vec<(String, u64)> = daily["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["label"].as_str().unwrap().to_string(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [
            ("Expired".to_string(), 1),
            ("Critical".to_string(), 1),
            ("Warning".to_string(), 1),
            ("Info".to_string(), 1),
            ("OK".to_string(), 3)
        ]
    );
    assert_eq!(daily["new"], 7);
    let compliance = std::fs::read_to_string(out.path().join("compliance.csv")).unwrap();
    let mut checks: Vec<&str> = compliance
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    checks.sort();
    assert_eq!(checks, ["long-validity", "rsa-below-minimum"]);
    let alarms = std::fs::read_to_string(out.path().join("alarms.csv")).unwrap();
    assert_eq!(alarms.lines().count(), 1 + 5, "{alarms}");

    let Some(chromium) = chromium() else { return };
    let url = |page: &str| format!("file://{}/{page}.html", out.path().display());
    let index = dom(chromium, &url("index"));
    assert_eq!(
        ["Expired", "Critical", "Warning", "Info", "OK"].map(|t| card(&index, t)),
        ["1", "1", "1", "1", "3"]
    );
    assert!(index.contains(&format!("<tr data-sha256=\"{colon}\"><td><span class=\"badge\" style=\"background: #cf222e\">Critical</span></td><td>www.shop.example.test</td>")), "{index}");
    // The "by CA" chart: one issuer for all seven, in its legend and its one segment.
    assert!(
        index.contains("</span>certprobe Test Intermediate: 7</li>")
            && index.contains("<title>certprobe Test Intermediate: 7</title>"),
        "{index}"
    );
    let timeline = dom(chromium, &url("timeline"));
    assert!(timeline.contains("<td>web-team</td>"), "{timeline}");
    for page in [
        "index",
        "daily",
        "weekly",
        "compliance",
        "timeline",
        "alarms",
    ] {
        screenshot(chromium, &url(page), &format!("report-{page}"));
    }
}

#[test]
fn the_dashboard_serves_the_same_pages_live_with_search_and_a_page_per_certificate() {
    let inv = inventory();
    let served = Served::start(&inv.db, &["--config", inv.config.to_str().unwrap()]);
    let (colon, hex) = sha(&inv.shop);
    let (status, head) = served.get("/", None);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-security-policy: default-src 'none'; style-src 'unsafe-inline'"),
        "{head}"
    );
    assert_eq!(
        served.get("/nothing-here", None).0,
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        served.get("/certificates/not-hex", None).0,
        "HTTP/1.1 404 Not Found"
    );
    // Read-only: no method but GET (and HEAD).
    let mut stream = std::net::TcpStream::connect(&served.address).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 405 Method Not Allowed"),
        "{answer}"
    );

    let Some(chromium) = chromium() else { return };
    let base = format!("http://{}", served.address);
    let index = dom(chromium, &format!("{base}/"));
    assert_eq!(
        ["Expired", "Critical", "Warning", "Info", "OK"].map(|t| card(&index, t)),
        ["1", "1", "1", "1", "3"]
    );
    assert!(
        index.contains(&format!(
            "<td><a href=\"/certificates/{hex}\">www.shop.example.test</a></td>"
        )),
        "{index}"
    );
    let found = dom(chromium, &format!("{base}/certificates?q=shop"));
    assert!(
        found.contains("<p class=\"lead\" id=\"count\">1 of 7 certificates matching “shop”.</p>"),
        "{found}"
    );
    assert!(found.contains(&format!("<tr data-sha256=\"{colon}\">")));
    let page = dom(chromium, &format!("{base}/certificates/{hex}"));
    assert!(
        page.contains(&format!("<td class=\"mono\">{colon}</td>")),
        "{page}"
    );
    assert!(
        page.contains("<tr><th>Owner</th><td>web-team</td></tr>"),
        "{page}"
    );
    // The findings of its latest scan, read from the inventory by the page; not the scan's
    // tier (the heading shows the dashboard's).
    assert_eq!(
        page.matches("/certs/shop.pem</td><td>expiry</td><td>CRITICAL</td><td>certificate expires in 5.50 days on ").count(),
        1,
        "{page}"
    );
    assert!(!page.contains("<td>tier</td>"), "{page}");
    // A small inventory's judgement is waited for: nothing served is behind.
    assert!(!page.contains("class=\"updating\""), "{page}");
    let endpoints = dom(chromium, &format!("{base}/endpoints?q=legacy"));
    assert!(
        endpoints.contains("1 of 7 endpoints matching “legacy”."),
        "{endpoints}"
    );
    for (path, name) in [
        ("/", "serve-dashboard"),
        ("/certificates", "serve-certificates"),
        (&format!("/certificates/{hex}")[..], "serve-certificate"),
        ("/endpoints", "serve-endpoints"),
    ] {
        screenshot(chromium, &format!("{base}{path}"), name);
    }

    // Live: a new audit shows on the next request.
    let more = inv.db.parent().unwrap().join("more");
    cert_file(
        &more.join("new.pem"),
        &LeafSpec::new("new.example.test").valid_until(3.5),
    );
    let root = root_file();
    assert_eq!(
        certprobe(
            &inv.db,
            &[
                "audit",
                more.to_str().unwrap(),
                "--job",
                "more",
                "--ca-file",
                &root,
                "--no-revocation"
            ]
        )
        .code,
        0
    );
    let index = dom(chromium, &format!("{base}/"));
    assert_eq!(card(&index, "Critical"), "2");
}

#[test]
fn the_dashboard_wants_authentication_beyond_loopback_and_checks_it() {
    let inv = inventory();
    let refused = certprobe(&inv.db, &["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(
        (refused.code, refused.stderr.as_str()),
        (2, "certprobe: --listen 0.0.0.0:0: beyond loopback the dashboard wants --user and --password-file (or --no-auth, when a proxy in front authenticates)\n")
    );
    let password = inv.db.parent().unwrap().join("password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let served = Served::start(
        &inv.db,
        &[
            "--user",
            "admin",
            "--password-file",
            password.to_str().unwrap(),
        ],
    );
    let (status, head) = served.get("/", None);
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    assert!(
        head.contains("www-authenticate: Basic realm=\"certprobe\""),
        "{head}"
    );
    // admin:wrong, then admin:s3cret.
    assert_eq!(
        served.get("/", Some("Basic YWRtaW46d3Jvbmc=")).0,
        "HTTP/1.1 401 Unauthorized"
    );
    assert_eq!(
        served.get("/", Some("Basic YWRtaW46czNjcmV0")).0,
        "HTTP/1.1 200 OK"
    );
}
