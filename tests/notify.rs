//! `certprobe notify` as an admin runs it: an inventory made by a real audit and a real scan,
//! owners in a config file, an SMTP server on 127.0.0.1 that keeps what it accepts (or
//! refuses, defers, hangs, drops), and a hook script that records what it gets. Each test
//! asserts who got which message, and that nothing is sent twice.

mod common;

use certprobe_testkit::smtp_sink::{Received, SinkMode, SinkTls, SmtpSink};
use certprobe_testkit::{pem, serve_tls_at, KeyType, Leaf, LeafSpec, Running};
use common::{audit_trusting_root, certprobe, pki, root_file, Run};
use std::path::{Path, PathBuf};

/// The host name the audit records places under.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// `2026-12-31`.
fn day(unix: i64) -> String {
    certprobe::clock::format_utc(unix)[..10].to_string()
}

/// Whole days left now, as the notices count them.
fn days(leaf: &Leaf) -> i64 {
    days_at(leaf, 0)
}

/// Whole days left `later` days from now.
fn days_at(leaf: &Leaf, later: i64) -> i64 {
    (leaf.not_after - certprobe::clock::now_unix() - later * 86_400).div_euclid(86_400)
}

/// A leaf chained to the test PKI, written as a PEM chain at `path`.
fn cert_file(path: &Path, spec: &LeafSpec) -> Leaf {
    let leaf = pki().intermediate.issue(spec);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, pem(&leaf.der) + &pem(&pki().intermediate.der())).unwrap();
    leaf
}

/// A hook that appends `ARG EVENT ID SUMMARY` and the JSON from stdin to `log`.
fn hook_script(dir: &Path, log: &Path) -> PathBuf {
    let path = dir.join("hook.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s %s %s %s\\n' \"$1\" \"$CERTPROBE_EVENT\" \"$CERTPROBE_NOTIFICATION_ID\" \"$CERTPROBE_SUMMARY\" >> {log}\ncat >> {log}.json\necho >> {log}.json\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
    path
}

/// A message with quoted-printable soft line breaks taken out and `=3D` read back.
fn unfolded(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

/// The output lines, sorted (messages to different owners come in inventory order).
fn sorted_lines(run: &Run) -> Vec<String> {
    let mut lines: Vec<String> = run.stdout.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Each accepted message as `to -> subject`, sorted.
fn mails(sink: &SmtpSink) -> Vec<String> {
    let mut all: Vec<String> = sink
        .received()
        .iter()
        .map(|m| {
            format!(
                "{} -> {}",
                m.to.join(","),
                m.header("Subject").unwrap_or_default()
            )
        })
        .collect();
    all.sort();
    all
}

struct Lab {
    _dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
    certs: PathBuf,
    other: PathBuf,
    hook_log: PathBuf,
    sink: SmtpSink,
    _server: Running,
    port: u16,
    shop: Leaf,
    api: Leaf,
    legacy: Leaf,
    intranet: Leaf,
    orphan: Leaf,
}

impl Lab {
    /// Five certificates in files and one on a TLS server, audited and scanned into a new
    /// inventory; owners for each kind of rule.
    fn new(mode: SinkMode, extra_notify: &str) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inventory.sqlite");
        let certs = dir.path().join("certs");
        let other = dir.path().join("other");
        let shop = cert_file(
            &certs.join("shop.pem"),
            &LeafSpec::new("www.shop.example.test").valid_until(20.5),
        );
        let api = cert_file(
            &certs.join("api.pem"),
            &LeafSpec::new("api.example.test").valid_until(5.5),
        );
        let legacy = cert_file(
            &certs.join("legacy.pem"),
            &LeafSpec::new("legacy.example.test")
                .valid_until(300.0)
                .key(KeyType::Rsa(1024)),
        );
        cert_file(
            &certs.join("fine.pem"),
            &LeafSpec::new("fine.example.test").valid_until(300.0),
        );
        let orphan = cert_file(
            &other.join("orphan.pem"),
            &LeafSpec::new("orphan.example.test").valid_until(10.5),
        );
        let intranet = pki()
            .intermediate
            .issue(&LeafSpec::new("intranet.example.test").valid_until(60.5));
        let server = serve_tls_at(
            "127.0.12.1:0".parse().unwrap(),
            vec![intranet.der.clone(), pki().intermediate.der()],
            intranet.key_pkcs8.clone(),
        )
        .unwrap();
        let port = server.addr.port();
        let sink = SmtpSink::start(mode, SinkTls::None, None);
        let hook_log = dir.path().join("hook.log");
        let hook = hook_script(dir.path(), &hook_log);
        let config = dir.path().join("certprobe.toml");
        std::fs::write(
            &config,
            format!(
                r#"[notify]
smtp = "smtp://127.0.0.1:{sink}?tls=none"
from = "certprobe@example.test"
base_url = "https://certs.example.test/"
hook = ["{hook}", "global"]
{extra_notify}

[[owner]]
name = "web-team"
email = ["web@example.test", "oncall@example.test"]
certificates = ["*.shop.example.test"]

[[owner]]
name = "api-team"
email = ["api@example.test"]
certificates = ["api.example.test"]
dual_layer = true

[[owner]]
name = "servers"
email = ["servers@example.test"]
servers = ["path:{certs}/**", "127.0.12.0/24"]

[default_owner]
email = ["ops@example.test"]
"#,
                sink = sink.port,
                hook = hook.display(),
                certs = certs.display(),
            ),
        )
        .unwrap();
        let root = root_file();
        audit_trusting_root(&db, &[&certs, &other]);
        let scan = certprobe(
            &db,
            &[
                "scan",
                "--targets",
                "127.0.12.1",
                "--ports",
                &port.to_string(),
                "--ca-file",
                &root,
                "--no-revocation",
                "--job",
                "lab",
            ],
        );
        assert_eq!(scan.code, 0, "{}{}", scan.stdout, scan.stderr);
        Lab {
            _dir: dir,
            db,
            config,
            certs,
            other,
            hook_log,
            sink,
            _server: server,
            port,
            shop,
            api,
            legacy,
            intranet,
            orphan,
        }
    }

    fn notify(&self, extra: &[&str]) -> Run {
        let config = self.config.to_str().unwrap();
        certprobe(
            &self.db,
            &[&["notify", "--config", config][..], extra].concat(),
        )
    }

    fn place(&self, path: &Path) -> String {
        format!("file:{}:{}", host(), path.display())
    }

    fn hook_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = std::fs::read_to_string(&self.hook_log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                // The message id is the outbox's: shown as N.
                let mut parts: Vec<&str> = l.splitn(4, ' ').collect();
                parts[2] = "N";
                parts.join(" ")
            })
            .collect();
        lines.sort();
        lines
    }
}

#[test]
fn each_owner_gets_one_digest_and_each_notice_one_hook_run_once() {
    let lab = Lab::new(SinkMode::Accept, "");
    let shop = lab.place(&lab.certs.join("shop.pem"));
    let api = lab.place(&lab.certs.join("api.pem"));
    let legacy = lab.place(&lab.certs.join("legacy.pem"));
    let orphan = lab.place(&lab.other.join("orphan.pem"));
    let intranet = format!("127.0.12.1:{}", lab.port);
    let shop_line = format!(
        "Warning: www.shop.example.test expires in {} days ({}) at {shop}",
        days(&lab.shop),
        day(lab.shop.not_after)
    );
    let api_line = format!(
        "Critical: api.example.test expires in {} days ({}) at {api}",
        days(&lab.api),
        day(lab.api.not_after)
    );
    let legacy_line = format!("Alarm: legacy.example.test at {legacy}: weak key");
    let intranet_line = format!(
        "Info: intranet.example.test expires in {} days ({}) at {intranet}",
        days(&lab.intranet),
        day(lab.intranet.not_after)
    );
    let orphan_line = format!(
        "Warning: orphan.example.test expires in {} days ({}) at {orphan}",
        days(&lab.orphan),
        day(lab.orphan.not_after)
    );
    let _ = &lab.legacy;

    // The dry run shows it all and sends nothing.
    let dry = lab.notify(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert_eq!(
        dry.lines()[0],
        "6 notices for 4 owners; 10 messages would be sent"
    );
    dry.assert_line("would send: email to servers@example.test for servers: certprobe: Critical for servers: 1 critical, 1 alarm, 1 info");
    assert!(lab.sink.received().is_empty() && lab.hook_lines().is_empty());

    let run = lab.notify(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let hook = format!(
        "{} global",
        lab.hook_log.parent().unwrap().join("hook.sh").display()
    );
    let mut expected = vec![
        "6 notices for 4 owners; 10 messages due".to_string(),
        "sent: email to web@example.test, oncall@example.test for web-team: certprobe: Warning for web-team: 1 warning".to_string(),
        "sent: email to api@example.test for api-team: certprobe: Critical for api-team: 1 critical".to_string(),
        "sent: email to servers@example.test for servers: certprobe: Critical for servers: 1 critical, 1 alarm, 1 info".to_string(),
        "sent: email to ops@example.test for default: certprobe: Warning for default: 1 warning".to_string(),
        format!("sent: hook to {hook} for web-team: {shop_line}"),
        format!("sent: hook to {hook} for api-team: {api_line}"),
        format!("sent: hook to {hook} for servers: {api_line}"),
        format!("sent: hook to {hook} for servers: {legacy_line}"),
        format!("sent: hook to {hook} for servers: {intranet_line}"),
        format!("sent: hook to {hook} for default: {orphan_line}"),
    ];
    expected.sort();
    assert_eq!(sorted_lines(&run), expected);
    assert_eq!(
        mails(&lab.sink),
        [
            "api@example.test -> certprobe: Critical for api-team: 1 critical",
            "ops@example.test -> certprobe: Warning for default: 1 warning",
            "servers@example.test -> certprobe: Critical for servers: 1 critical, 1 alarm, 1 info",
            "web@example.test,oncall@example.test -> certprobe: Warning for web-team: 1 warning",
        ]
    );
    // The digest: plain text and HTML, a link to the certificate's page, a stable Message-ID.
    let servers: Received = lab
        .sink
        .received()
        .into_iter()
        .find(|m| m.to == ["servers@example.test"])
        .unwrap();
    assert_eq!(servers.from, "certprobe@example.test");
    assert!(servers
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let id = servers.header("Message-ID").unwrap();
    assert!(
        id.starts_with("<certprobe.") && id.ends_with("@example.test>"),
        "{id}"
    );
    let sha = ring::digest::digest(&ring::digest::SHA256, &lab.api.der);
    let hex: String = sha.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        unfolded(&servers.data).contains(&format!("https://certs.example.test/certificates/{hex}"))
    );
    let mut hooks = vec![
        format!("global tier N {shop_line}"),
        format!("global tier N {api_line}"),
        format!("global tier N {api_line}"),
        format!("global alarm N {legacy_line}"),
        format!("global tier N {intranet_line}"),
        format!("global tier N {orphan_line}"),
    ];
    hooks.sort();
    assert_eq!(lab.hook_lines(), hooks);

    // Nothing changed: nothing is sent again.
    let again = lab.notify(&[]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, "0 notices for 0 owners; 0 messages due\n")
    );
    assert_eq!(lab.sink.received().len(), 4);
    assert_eq!(lab.hook_lines().len(), 6);

    // The log lists every message as sent.
    let log = certprobe(&lab.db, &["inventory", "notifications", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&log.stdout).unwrap();
    let statuses: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent"; 10]);
}

#[test]
fn tiers_are_crossed_once_each_a_renewal_rearms_and_a_removed_file_is_resolved() {
    let lab = Lab::new(SinkMode::Accept, "");
    assert_eq!(lab.notify(&[]).code, 0);
    let api = lab.place(&lab.certs.join("api.pem"));
    let shop = lab.place(&lab.certs.join("shop.pem"));
    let now = certprobe::clock::now_unix();
    let at = |days: i64| (now + days * 86_400).to_string();

    // Fifteen days on: shop (20.5 days) is Critical; api (5.5 days) has expired.
    let later = lab.notify(&["--now", &at(15)]);
    assert_eq!(later.code, 0, "{}{}", later.stdout, later.stderr);
    let api_expired = format!(
        "Expired: api.example.test expired {} days ago ({}) at {api}",
        -days_at(&lab.api, 15) - 1,
        day(lab.api.not_after)
    );
    assert!(
        later
            .stdout
            .contains(&format!("for api-team: {api_expired}\n")),
        "{}",
        later.stdout
    );
    assert!(later.stdout.contains(&format!(
        "for web-team: Critical: www.shop.example.test expires in {} days ({}) at {shop}\n",
        days_at(&lab.shop, 15),
        day(lab.shop.not_after)
    )));
    // Still fifteen days on: nothing new.
    assert_eq!(
        lab.notify(&["--now", &at(15)]).stdout,
        "0 notices for 0 owners; 0 messages due\n"
    );

    // api renewed: one notice to each owner told before, and its alarms start again.
    let renewed = cert_file(
        &lab.certs.join("api.pem"),
        &LeafSpec::new("api.example.test").valid_until(80.5),
    );
    audit_trusting_root(&lab.db, &[&lab.certs, &lab.other]);
    let run = lab.notify(&["--now", &at(15)]);
    let renewal = format!(
        "Renewed: {api} now serves api.example.test until {} (tier Info), instead of api.example.test",
        day(renewed.not_after)
    );
    let hook = format!(
        "{} global",
        lab.hook_log.parent().unwrap().join("hook.sh").display()
    );
    let mut expected = vec![
        "2 notices for 2 owners; 4 messages due".to_string(),
        "sent: email to api@example.test for api-team: certprobe: Info for api-team: 1 renewed"
            .to_string(),
        "sent: email to servers@example.test for servers: certprobe: Info for servers: 1 renewed"
            .to_string(),
        format!("sent: hook to {hook} for api-team: {renewal}"),
        format!("sent: hook to {hook} for servers: {renewal}"),
    ];
    expected.sort();
    assert_eq!(sorted_lines(&run), expected);
    // 60 days on, the renewed certificate enters Warning: told again.
    let warning = lab.notify(&["--now", &at(60)]);
    warning.assert_line(&format!(
        "sent: hook to {hook} for api-team: Warning: api.example.test expires in {} days ({}) at {api}",
        days_at(&renewed, 60),
        day(renewed.not_after)
    ));

    // legacy.pem removed: its weak-key alarm is resolved, once.
    std::fs::remove_file(lab.certs.join("legacy.pem")).unwrap();
    audit_trusting_root(&lab.db, &[&lab.certs, &lab.other]);
    let gone = lab.notify(&["--now", &at(60)]);
    let legacy = lab.place(&lab.certs.join("legacy.pem"));
    assert!(
        gone.stdout.contains(&format!(
            "for servers: Resolved: legacy.example.test is no longer served at {legacy}\n"
        )),
        "{}",
        gone.stdout
    );
    assert!(!lab.notify(&["--now", &at(60)]).stdout.contains("Resolved"));
}

/// The run's lines with the retry time (`again from 2026-12-02 10:01`) shown as T.
fn retry_masked(run: &Run) -> Vec<String> {
    let mut lines: Vec<String> = run
        .stdout
        .lines()
        .map(|l| match l.find("; again from ") {
            Some(at) => {
                let from = at + "; again from ".len();
                format!(
                    "{}; again from T{}",
                    &l[..at],
                    &l[from + "2026-12-02 10:01".len()..]
                )
            }
            None => l.to_string(),
        })
        .filter(|l| !l.starts_with("sent: hook") && !l.starts_with("waiting: hook"))
        .collect();
    lines.sort();
    lines
}

#[test]
fn a_mail_server_that_fails_gets_each_digest_later_and_exactly_once() {
    for (mode, reason) in [
        (
            SinkMode::Defer,
            "the mail server deferred it: 451 4.3.0 try again later",
        ),
        (
            SinkMode::RefuseRecipients,
            "the mail server refused it: 550 5.1.1 no such user here",
        ),
        (
            SinkMode::Drop,
            "the mail server cannot be reached: the server dropped the connection",
        ),
        (SinkMode::Hang, "the mail server did not answer in time"),
    ] {
        let lab = Lab::new(mode.clone(), "smtp_timeout = \"1s\"");
        let run = lab.notify(&[]);
        assert_eq!(run.code, 1, "{mode:?}: {}{}", run.stdout, run.stderr);
        assert_eq!(
            run.stderr,
            "certprobe: 4 of 10 messages were not sent; the next run tries them again\n"
        );
        // After the first failure to reach the server, the run does not wait on it again.
        let later = if matches!(mode, SinkMode::Drop | SinkMode::Hang) {
            format!("not tried, the mail server failed earlier in this run: {reason}")
        } else {
            reason.to_string()
        };
        let lines = retry_masked(&run);
        let failed: Vec<&String> = lines.iter().filter(|l| l.starts_with("failed")).collect();
        assert_eq!(failed.len(), 4, "{mode:?}: {}", run.stdout);
        assert!(
            failed
                .iter()
                .any(|l| l.starts_with(&format!("failed ({reason}; again from T): email to "))),
            "{mode:?}: {}",
            run.stdout
        );
        assert_eq!(
            failed
                .iter()
                .filter(|l| l.starts_with(&format!("failed ({later}; again from T)")))
                .count(),
            if later == reason { 4 } else { 3 },
            "{mode:?}: {}",
            run.stdout
        );
        // The hooks went out; the mail waits: a run right now sends nothing and says so.
        assert_eq!(lab.hook_lines().len(), 6);
        let now = lab.notify(&[]);
        assert_eq!(now.code, 0, "{}", now.stderr);
        assert_eq!(now.lines()[0], "0 notices for 0 owners; 0 messages due");
        assert_eq!(
            now.lines()
                .iter()
                .filter(|l| l.starts_with("waiting: email to "))
                .count(),
            4
        );
        // Two minutes on, the server takes mail again: each digest is sent once.
        lab.sink.set_mode(SinkMode::Accept);
        let in_two_minutes = (certprobe::clock::now_unix() + 120).to_string();
        let retried = lab.notify(&["--now", &in_two_minutes]);
        assert_eq!(retried.code, 0, "{}{}", retried.stdout, retried.stderr);
        assert_eq!(retried.lines()[0], "0 notices for 0 owners; 4 messages due");
        assert_eq!(lab.sink.received().len(), 4);
        let again = lab.notify(&["--now", &in_two_minutes]);
        assert_eq!(again.stdout, "0 notices for 0 owners; 0 messages due\n");
        assert_eq!(lab.sink.received().len(), 4);
        assert_eq!(lab.hook_lines().len(), 6);
    }
}

#[test]
fn a_hook_that_hangs_is_killed_at_its_timeout_and_tried_again() {
    let lab = Lab::new(SinkMode::Accept, "hook_timeout = \"1s\"");
    // The global hook sleeps 30 s (with a child that would keep the pipes open).
    let script = lab.hook_log.parent().unwrap().join("hook.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 30 &\nsleep 30\n").unwrap();
    let started = std::time::Instant::now();
    let run = lab.notify(&[]);
    assert_eq!(run.code, 1);
    let lines = retry_masked(&run);
    let hangs = run
        .stdout
        .lines()
        .filter(|l| {
            l.starts_with(
                "failed (the hook failed: it ran longer than 1 s and was killed; again from ",
            )
        })
        .count();
    assert_eq!(hangs, 6, "{lines:?}");
    // Six hooks of one second each, not six times thirty.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(lab.sink.received().len(), 4);
}

#[test]
fn a_notifier_killed_mid_run_sends_nothing_twice_and_forgets_nothing() {
    let lab = Lab::new(SinkMode::Accept, "");
    // The hook records its notice, then waits on the third notice until the test says go.
    let script = lab.hook_log.parent().unwrap().join("hook.sh");
    let gate = lab.hook_log.parent().unwrap().join("gate");
    let count = lab.hook_log.parent().unwrap().join("count");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(cat {count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {count}\nif [ $n = 3 ]; then echo $$ > {gate}.tmp; mv {gate}.tmp {gate}.pid; sleep 60; exit 0; fi\necho \"$CERTPROBE_NOTIFICATION_ID $CERTPROBE_OWNER $CERTPROBE_SUMMARY\" >> {log}\n",
            count = count.display(),
            gate = gate.display(),
            log = lab.hook_log.display()
        ),
    )
    .unwrap();
    let db = lab.db.to_str().unwrap().to_string();
    let config = lab.config.to_str().unwrap().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .args(["--db", &db, "notify", "--config", &config])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = PathBuf::from(format!("{}.pid", gate.display()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !pid_file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the third hook never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Killed with the hook in flight; the hook dies too, before it did its work.
    child.kill().unwrap();
    child.wait().unwrap();
    // By the system call: Debian 12's kill(1) (procps-ng 4.0.2) drops the first digit of
    // `kill -9 -PGID` and kills another process group (it took CI's runner with it).
    let hook_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let group = rustix::process::Pid::from_raw(hook_pid).unwrap();
    rustix::process::kill_process_group(group, rustix::process::Signal::KILL)
        .unwrap_or_else(|e| panic!("the hook's process group {hook_pid} was not there: {e}"));
    let before: Vec<String> = std::fs::read_to_string(&lab.hook_log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(before.len(), 2, "{before:?}");
    let mails_before = lab.sink.received().len();
    assert!(
        mails_before >= 1,
        "the digest of the first owner went before its hooks"
    );

    // The next run plans nothing new and sends exactly what was not sent.
    let run = lab.notify(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.lines()[0].starts_with("0 notices for 0 owners; "),
        "{}",
        run.stdout
    );
    let after: Vec<String> = std::fs::read_to_string(&lab.hook_log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(after.len(), 6, "{after:?}");
    let mut ids: Vec<&str> = after.iter().map(|l| l.split(' ').next().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "a notice was run twice: {after:?}");
    assert_eq!(&after[..2], &before[..]);
    assert_eq!(lab.sink.received().len(), 4);
    let mut subjects: Vec<String> = lab
        .sink
        .received()
        .iter()
        .map(|m| m.header("Subject").unwrap())
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 4);
}

/// A config with one owner of everything and `notify` as its `[notify]` section.
fn one_owner_config(dir: &Path, notify: &str) -> PathBuf {
    let path = dir.join("mail.toml");
    std::fs::write(
        &path,
        format!("[notify]\n{notify}\n\n[default_owner]\nemail = [\"ops@example.test\"]\n"),
    )
    .unwrap();
    path
}

/// An inventory with one certificate 3 days from its end, from an audit.
fn critical_inventory(dir: &Path) -> PathBuf {
    cert_file(
        &dir.join("certs/soon.pem"),
        &LeafSpec::new("soon.example.test").valid_until(3.5),
    );
    critical_inventory_at(dir, &dir.join("inventory.sqlite"))
}

/// The audit of `dir`/certs into `db`.
fn critical_inventory_at(dir: &Path, db: &Path) -> PathBuf {
    audit_trusting_root(db, &[&dir.join("certs")]);
    db.to_path_buf()
}

#[test]
fn mail_goes_over_starttls_or_implicit_tls_with_authentication_and_a_wrong_ca_is_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let db = critical_inventory(dir.path());
    let leaf = pki()
        .intermediate
        .issue(&LeafSpec::new("mail.example.test").ips(&["127.0.0.1".parse().unwrap()]));
    let config = certprobe_testkit::tls_config(
        vec![leaf.der.clone(), pki().intermediate.der()],
        leaf.key_pkcs8.clone(),
    );
    let credentials = Some(("certprobe".to_string(), "s3cret pass".to_string()));
    let starttls = SmtpSink::start(
        SinkMode::Accept,
        SinkTls::StartTls(config.clone()),
        credentials.clone(),
    );
    let implicit = SmtpSink::start(SinkMode::Accept, SinkTls::Implicit(config), credentials);
    let root = root_file();
    let password = dir.path().join("smtp.password");
    std::fs::write(&password, "s3cret pass\n").unwrap();
    for (url, sink) in [
        (format!("smtp://127.0.0.1:{}", starttls.port), &starttls),
        (format!("smtps://127.0.0.1:{}", implicit.port), &implicit),
    ] {
        let config = one_owner_config(
            dir.path(),
            &format!(
                "smtp = \"{url}\"\nfrom = \"certprobe@example.test\"\nsmtp_user = \"certprobe\"\nsmtp_password_file = \"smtp.password\"\nsmtp_ca_file = \"{root}\""
            ),
        );
        std::fs::remove_file(db.with_extension("sqlite-notifier.lock")).ok();
        let fresh = dir.path().join(format!("{}.sqlite", sink.port));
        std::fs::copy(&db, &fresh).unwrap();
        let run = certprobe(&fresh, &["notify", "--config", config.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{url}: {}{}", run.stdout, run.stderr);
        run.assert_line("sent: email to ops@example.test for default: certprobe: Critical for default: 1 critical");
        let got = sink.received();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].tls, got[0].user.as_deref()),
            (true, Some("certprobe"))
        );
        assert_eq!(got[0].to, ["ops@example.test"]);
    }
    // STARTTLS is required: a server that does not offer it gets no mail (and no password).
    let plain = SmtpSink::start(SinkMode::Accept, SinkTls::None, None);
    let config = one_owner_config(
        dir.path(),
        &format!(
            "smtp = \"smtp://127.0.0.1:{}\"\nfrom = \"certprobe@example.test\"",
            plain.port
        ),
    );
    let run = certprobe(
        &db,
        &["notify", "--config", config.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(run.code, 0);
    let fresh = dir.path().join("plain.sqlite");
    std::fs::copy(&db, &fresh).unwrap();
    let run = certprobe(&fresh, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "1 notice for 1 owner; 1 message due\nfailed (TLS with the mail server failed: "
        ),
        "{}",
        run.stdout
    );
    assert!(plain.received().is_empty());
    // The system's roots do not know the test CA: a sentence, not a library's name.
    let config = one_owner_config(
        dir.path(),
        &format!(
            "smtp = \"smtp://127.0.0.1:{}\"\nfrom = \"certprobe@example.test\"",
            starttls.port
        ),
    );
    let fresh = dir.path().join("untrusted.sqlite");
    std::fs::copy(&db, &fresh).unwrap();
    let run = certprobe(&fresh, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("failed (TLS with the mail server failed: its certificate is not trusted (unknown issuer; see smtp_ca_file); again from "),
        "{}",
        run.stdout
    );
}

#[test]
fn sendmail_gets_the_message_on_stdin_and_the_envelope_as_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let db = critical_inventory(dir.path());
    let fake = dir.path().join("sendmail");
    let log = dir.path().join("sendmail.log");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > {log}\ncat >> {log}\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .unwrap();
    let config = one_owner_config(
        dir.path(),
        &format!(
            "smtp = \"sendmail:{}\"\nfrom = \"certprobe@example.test\"",
            fake.display()
        ),
    );
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "-i -f certprobe@example.test -- ops@example.test"
    );
    assert!(
        text.contains("\r\nSubject: certprobe: Critical for default: 1 critical\r\n"),
        "{text}"
    );
    // A sendmail that fails is a sentence with its own words.
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'sendmail: fatal: no queue' >&2\nexit 75\n",
    )
    .unwrap();
    cert_file(
        &dir.path().join("certs/later.pem"),
        &LeafSpec::new("later.example.test").valid_until(2.5),
    );
    audit_trusting_root(&db, &[&dir.path().join("certs")]);
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("failed (sendmail failed: it exited with status 75: sendmail: fatal: no queue; again from "), "{}", run.stdout);
}

#[test]
fn an_admins_template_replaces_the_built_in_one_and_a_broken_one_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let db = critical_inventory(dir.path());
    let sink = SmtpSink::start(SinkMode::Accept, SinkTls::None, None);
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("subject.txt"),
        "[PKI] {{ worst }}: {{ notices | length }} for {{ owner }}\nsecond line",
    )
    .unwrap();
    std::fs::write(
        templates.join("email.txt"),
        "{% for n in notices %}{{ n.summary }\n{% endfor %}",
    )
    .unwrap();
    let config = one_owner_config(
        dir.path(),
        &format!("smtp = \"smtp://127.0.0.1:{}?tls=none\"\nfrom = \"certprobe@example.test\"\ntemplates = \"templates\"", sink.port),
    );
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.lines()[0],
        format!("warning: {}: line 1: unexpected `}}`, expected end of variable block; the built-in template is used", templates.join("email.txt").display())
    );
    run.assert_line(
        "sent: email to ops@example.test for default: [PKI] Critical: 1 for default second line",
    );
    let got = sink.received();
    assert_eq!(
        got[0].header("Subject").unwrap(),
        "[PKI] Critical: 1 for default second line"
    );
    assert!(
        got[0].data.contains("certprobe found 1 change for default"),
        "{}",
        got[0].data
    );
}

#[test]
fn owners_explain_shows_the_rule_that_decides_and_the_ones_that_lose() {
    let lab = Lab::new(SinkMode::Accept, "");
    let api = lab.place(&lab.certs.join("api.pem"));
    let sha = ring::digest::digest(&ring::digest::SHA256, &lab.api.der);
    let colon: Vec<String> = sha.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    let config = lab.config.to_str().unwrap();
    let run = certprobe(
        &lab.db,
        &[
            "owners",
            "explain",
            &colon[..4].join(":"),
            "--config",
            config,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = lab.config.display();
    assert_eq!(
        run.lines(),
        [
            format!("{api} serves api.example.test (SHA-256 {}), tier Critical, no security alarm", colon[..8].join(":")),
            format!("  certificate rules: api-team by 'name:api.example.test' ({file}:16) on name api.example.test: decides"),
            format!("  server rules: servers by 'path:{}/**' ({file}:22) on path {}: decides", lab.certs.display(), lab.certs.join("api.pem").display()),
            "  told: api-team, servers (the certificate rule decides, and api-team has dual_layer, so the server's owner is told too)".to_string(),
        ]
    );
    let intranet = format!("127.0.12.1:{}", lab.port);
    let run = certprobe(
        &lab.db,
        &["owners", "explain", &intranet, "--config", config],
    );
    assert_eq!(
        run.lines()[1..],
        [
            "  certificate rules: none matches".to_string(),
            format!("  server rules: servers by 'range:127.0.12.0/24' ({file}:22) on address 127.0.12.1: decides"),
            "  told: servers (no certificate rule matches; the server rule decides)".to_string(),
        ]
    );
    let run = certprobe(
        &lab.db,
        &["owners", "explain", "127.0.99.1:443", "--config", config],
    );
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "certprobe: no endpoint in the inventory serves '127.0.99.1:443' now\n"
        )
    );
}

#[test]
fn bad_notify_and_owner_sections_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let cases = [
        ("[[owner]]\nname = \"web\"\ncertificates = [\"issuer:[abc\"]\n", "3: certificates: '[abc' is not a glob: a '[' is not closed"),
        ("[[owner]]\nname = \"web\"\nservers = [\"range:10.0.0.0/33\"]\n", "3: servers: '10.0.0.0/33' is not an address or a CIDR range"),
        ("[[owner]]\nname = \"web\"\nservers = [\"jobs:dmz\"]\n", "3: servers: 'jobs:' is not a kind of server rule (range:, host:, job:, zone:, path:, port:)"),
        ("[[owner]]\nname = \"web\"\n", "1: owner 'web' has no certificates or servers rules, so it owns nothing"),
        ("[[owner]]\nname = \"web\"\nemail = [\"web@example.test\"]\nservers = [\"job:x\"]\n", "3: email: [notify] has no smtp, so these addresses would get nothing"),
        ("[notify]\nsmtp = \"smtp://mail.example.test:587\"\nfrom = \"certprobe@example.test\"\n[[owner]]\nname = \"web\"\nemail = [\"web@example.test\\r\\nBcc: x@evil.test\"]\nservers = [\"job:x\"]\n", "6: email: 'web@example.test\\r\\nBcc: x@evil.test' is not an email address"),
        ("[notify]\nsmtp = \"imap://mail.example.test\"\n", "2: smtp: 'imap://mail.example.test' is not smtp://HOST[:PORT], smtps://HOST[:PORT] or sendmail"),
        ("[notify]\nsnmp = [{ target = \"udp:nms.example.test:162\", version = \"3\", user = \"certprobe\", auth_password = \"short\", privacy_password = \"longenough\" }]\n", "2: snmp: auth_password must have 8 or more characters"),
        ("[notify]\nhook = 42\n", "2: hook: it is a program, or a list of the program and its arguments"),
        ("[alarms]\nwarning_days = 100\n", "1: alarms: critical_days (7) must be at most warning_days (100), and that at most info_days (90)"),
    ];
    for (text, message) in cases {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).unwrap();
        let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (
                2,
                format!("certprobe: {}:{message}\n", config.display()).as_str()
            ),
            "{text}"
        );
    }
}

/// Debian's snmptrapd in the foreground on 127.0.0.1, with CERTPROBE-MIB loaded so that the
/// log names what certprobe sent; stopped when dropped.
struct TrapReceiver {
    child: std::process::Child,
    log: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TrapReceiver {
    /// `None` when snmptrapd is not installed and this is not CI.
    fn start(engine_id: &str) -> Option<TrapReceiver> {
        if !Path::new("/usr/sbin/snmptrapd").exists() {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "snmptrapd is not installed (tests/daemons/install.sh installs it)"
            );
            eprintln!("SKIPPED: snmptrapd is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("snmptrapd.conf");
        std::fs::write(
            &conf,
            format!("authCommunity log public\ncreateUser -e {engine_id} certprobe SHA authpass123 AES privpass123\nauthUser log certprobe\n"),
        )
        .unwrap();
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("traps.log");
        let root = env!("CARGO_MANIFEST_DIR");
        let child = std::process::Command::new("/usr/sbin/snmptrapd")
            .env("SNMP_PERSISTENT_DIR", dir.path().join("persist"))
            .args(["-f", "-C", "-c"])
            .arg(&conf)
            .arg("-M")
            .arg(format!(
                "{root}/packaging/snmp:{root}/tests/integration/snmp-mibs"
            ))
            .args(["-m", "CERTPROBE-MIB", "-n", "-F", "%P|%v\\n", "-Lf"])
            .arg(&log)
            .arg(format!("udp:127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Ready once it has written its banner.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("NET-SNMP version")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "snmptrapd did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(TrapReceiver {
            child,
            log,
            port,
            _dir: dir,
        })
    }

    /// The logged lines after the banner, once `count` of them are there (or 5 s passed).
    fn lines(&self, count: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let lines: Vec<String> = std::fs::read_to_string(&self.log)
                .unwrap_or_default()
                .lines()
                .filter(|l| {
                    !l.starts_with("NET-SNMP version") && !l.starts_with("Created directory: ")
                })
                .map(str::to_string)
                .collect();
            if lines.len() >= count || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for TrapReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn traps_reach_snmptrapd_as_v2c_and_v3_and_a_wrong_v3_password_is_refused() {
    // certprobe's default engine ID, which the receiver must know the user under.
    let Some(receiver) = TrapReceiver::start("0x80001f88046365727470726f6265") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = critical_inventory(dir.path());
    let port = receiver.port;
    let config = dir.path().join("snmp.toml");
    std::fs::write(
        &config,
        format!(
            r#"[notify]
snmp = [
  {{ target = "udp:127.0.0.1:{port}", version = "2c", community = "public" }},
  {{ target = "127.0.0.1:{port}", version = "3", user = "certprobe", auth_password = "authpass123", privacy_password = "privpass123" }},
]

[[owner]]
name = "pki"
servers = ["path:/**"]
snmp = [{{ target = "udp:[127.0.0.1]:{port}", version = "3", user = "certprobe", auth = "SHA", auth_password = "authpass123", privacy = "AES", privacy_password = "privpass123" }}]
"#
        ),
    )
    .unwrap();
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let place = format!(
        "file:{}:{}",
        host(),
        dir.path().join("certs/soon.pem").display()
    );
    let leaf_days = run
        .stdout
        .split("expires in ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let summary = run
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split(" for pki: ")
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        run.lines(),
        [
            "1 notice for 1 owner; 2 messages due".to_string(),
            format!("sent: snmp to udp:127.0.0.1:{port} (v3 user certprobe) for pki: {summary}"),
            format!("sent: snmp to udp:127.0.0.1:{port} (v2c) for pki: {summary}"),
        ]
    );
    // The same receiver and user with another password: a config error, as messages find
    // their receiver by that name.
    let twice = dir.path().join("twice.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "auth = \"SHA\", auth_password = \"authpass123\"",
        "auth_password = \"wrongpass123\"",
    );
    std::fs::write(&twice, &text).unwrap();
    let refused = certprobe(&db, &["notify", "--config", twice.to_str().unwrap()]);
    assert_eq!(
        refused.stderr,
        format!("certprobe: {}: snmp: two receivers are udp:127.0.0.1:{port} (v3 user certprobe) with other credentials; give them different users\n", twice.display())
    );
    // A wrong password: the receiver refuses the trap (certprobe cannot know: traps get no answer).
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(
        &wrong,
        format!("[notify]\nsnmp = [{{ target = \"udp:127.0.0.1:{port}\", version = \"3\", user = \"certprobe\", auth_password = \"wrongpass123\", privacy_password = \"privpass123\" }}]\n"),
    )
    .unwrap();
    let fresh = dir.path().join("wrong.sqlite");
    let again = critical_inventory_at(dir.path(), &fresh);
    let run = certprobe(&again, &["notify", "--config", wrong.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        summary.starts_with(&format!(
            "Critical: soon.example.test expires in {leaf_days} days ("
        )),
        "{summary}"
    );
    // Two traps logged (v2c and the good v3 user), one refusal; each with the MIB's names.
    let lines = receiver.lines(3);
    let mut kinds: Vec<String> = lines
        .iter()
        .map(|l| l.split('|').next().unwrap().to_string())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "Authentication failed for certprobe",
            "TRAP2, SNMP v2c, community public",
            "TRAP2, SNMP v3, user certprobe, context ",
        ]
    );
    for trap in lines.iter().filter(|l| l.starts_with("TRAP2")) {
        let binds: Vec<&str> = trap
            .split('|')
            .nth(1)
            .unwrap()
            .split('\t')
            .skip(1)
            .collect();
        assert_eq!(
            binds,
            [
                "SNMPv2-SMI::internet.6.3.1.1.4.1.0 = OID: CERTPROBE-MIB::certprobeTierChange"
                    .to_string(),
                "CERTPROBE-MIB::certprobeTier.0 = INTEGER: critical(3)".to_string(),
                "CERTPROBE-MIB::certprobePreviousTier.0 = INTEGER: ok(0)".to_string(),
                format!("CERTPROBE-MIB::certprobeDaysLeft.0 = INTEGER: {leaf_days} days"),
                "CERTPROBE-MIB::certprobeSubject.0 = STRING: \"soon.example.test\"".to_string(),
                format!(
                    "CERTPROBE-MIB::certprobeFingerprint.0 = STRING: \"{}\"",
                    certprobe_inventory_sha(&db)
                ),
                format!("CERTPROBE-MIB::certprobeEndpoint.0 = STRING: \"{place}\""),
                "CERTPROBE-MIB::certprobeOwner.0 = STRING: \"pki\"".to_string(),
                format!(
                    "CERTPROBE-MIB::certprobeNotAfter.0 = STRING: \"{}\"",
                    certprobe::clock::format_utc(not_after(&db))
                ),
                "CERTPROBE-MIB::certprobeAlarm.0 = \"\"".to_string(),
                format!("CERTPROBE-MIB::certprobeSummary.0 = STRING: \"{summary}\""),
                format!(
                    "CERTPROBE-MIB::certprobeIssuer.0 = STRING: \"{}\"",
                    common::INTERMEDIATE_CN
                ),
            ]
        );
    }
}

/// The one endpoint's leaf, colon hex, from the inventory.
fn certprobe_inventory_sha(db: &Path) -> String {
    let out = certprobe(db, &["inventory", "endpoints", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    rows[0]["sha256"].as_str().unwrap().to_string()
}

/// The one endpoint's leaf's notAfter, from the inventory.
fn not_after(db: &Path) -> i64 {
    let out = certprobe(db, &["inventory", "endpoints", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    rows[0]["not_after"].as_i64().unwrap()
}

#[test]
fn a_trap_receiver_that_does_not_resolve_is_retried_later() {
    // In a network namespace of its own nothing resolves and nothing leaves the machine.
    if std::process::Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .map_or(true, |s| !s.success())
    {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "unshare -n is needed"
        );
        eprintln!("SKIPPED: cannot make a network namespace");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = critical_inventory(dir.path());
    let config = dir.path().join("snmp.toml");
    std::fs::write(
        &config,
        "[notify]\nsnmp = [{ target = \"udp:nms.example.test\", version = \"2c\", community = \"public\" }]\n",
    )
    .unwrap();
    let out = std::process::Command::new("unshare")
        .args(["-n", env!("CARGO_BIN_EXE_certprobe"), "--db"])
        .arg(&db)
        .args(["notify", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout.lines().nth(1).unwrap();
    assert!(
        line.starts_with("failed (the trap receiver cannot be found: cannot resolve host name 'nms.example.test'; again from "),
        "{line}"
    );
    assert!(
        line.contains("): snmp to udp:nms.example.test:162 (v2c) for default: Critical: soon.example.test expires in "),
        "{line}"
    );
}

#[test]
fn snmptranslate_reads_the_mib_and_knows_every_notification() {
    if !Path::new("/usr/bin/snmptranslate").exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "snmptranslate is not installed"
        );
        eprintln!("SKIPPED: snmptranslate is not installed");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let dirs = format!("{root}/packaging/snmp:{root}/tests/integration/snmp-mibs");
    // A state folder that exists already, so that snmptranslate says nothing about it.
    let persist = tempfile::tempdir().unwrap();
    std::fs::create_dir(persist.path().join("cert_indexes")).unwrap();
    let translate = |args: &[&str]| {
        let out = std::process::Command::new("snmptranslate")
            .env("SNMP_PERSISTENT_DIR", persist.path())
            .args(["-M", &dirs, "-m", "CERTPROBE-MIB"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    for (name, oid) in [
        ("certprobeTierChange", ".1.3.6.1.4.1.99999.0.1"),
        ("certprobeSecurityAlarm", ".1.3.6.1.4.1.99999.0.2"),
        ("certprobeAlarmResolved", ".1.3.6.1.4.1.99999.0.3"),
        ("certprobeRenewed", ".1.3.6.1.4.1.99999.0.4"),
        ("certprobeTier", ".1.3.6.1.4.1.99999.1.1"),
        ("certprobeIssuer", ".1.3.6.1.4.1.99999.1.11"),
    ] {
        assert_eq!(translate(&["-On", &format!("CERTPROBE-MIB::{name}")]), oid);
    }
    let tree = translate(&["-Tp", "-IR", "certprobeMIB"]);
    assert_eq!(tree.matches("---N").count(), 11, "{tree}");
}

#[test]
fn an_inventory_that_is_not_there_is_a_sentence_not_an_empty_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hook.toml");
    std::fs::write(&config, "[notify]\nhook = \"/bin/true\"\n").unwrap();
    let db = dir.path().join("typo.sqlite");
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(
        (run.code, run.stderr),
        (1, format!("certprobe: cannot open the inventory {}: there is no such file (run certprobe scan first)\n", db.display()))
    );
    assert!(!db.exists());
}

#[test]
fn an_audit_with_notify_tells_the_owners_once_what_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    cert_file(
        &certs.join("soon.pem"),
        &LeafSpec::new("soon.example.test").valid_until(3.5),
    );
    let log = dir.path().join("hook.log");
    let hook = hook_script(dir.path(), &log);
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            "[notify]\nhook = [\"{}\", \"global\"]\n\n[[owner]]\nname = \"ops\"\ncertificates = [\"*.example.test\"]\n\n[[audit]]\nname = \"certs\"\npaths = [\"{}\"]\n",
            hook.display(),
            certs.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("inventory.sqlite");
    let root = root_file();
    let audit = |config: &Path, extra: &[&str]| {
        let config = config.to_str().unwrap();
        let args = [
            "audit",
            "--config",
            config,
            "--ca-file",
            &root,
            "--no-revocation",
        ];
        certprobe(&db, &[&args[..], extra].concat())
    };
    // Another notifier holds the lock for two seconds: this one waits for it, then tells.
    // It says so by a file made once it has the lock (moved into place: never half there).
    let lock = format!("{}-notifier.lock", db.display());
    let ready = dir.path().join("holding");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args([
            "sh",
            "-c",
            "touch \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 2",
        ])
        .arg(&ready)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "flock never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let first = audit(&config, &["--notify"]);
    assert!(
        holder.try_wait().unwrap().is_some(),
        "the notifier did not wait for the lock"
    );
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert_eq!(
        first.stdout.lines().last(),
        Some("notify: 1 notice, 1 message sent")
    );
    let told = std::fs::read_to_string(&log).unwrap();
    assert_eq!(told.lines().count(), 1, "{told}");
    assert!(told.starts_with("global tier "), "{told}");
    let again = audit(&config, &["--notify", "--json"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert_eq!(
        again.stdout.lines().last(),
        Some(r#"{"notify":"notify: 0 notices, 0 messages sent"}"#)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), told);
    // Without --notify, nobody is told.
    std::fs::remove_file(certs.join("soon.pem")).unwrap();
    let quiet = audit(&config, &[]);
    assert_eq!(quiet.code, 0);
    assert!(!quiet.stdout.contains("notify:"), "{}", quiet.stdout);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), told);

    // A scan with --notify tells what changed since: the audit's removal, and the scan's
    // new certificate (Warning).
    let warning = pki()
        .intermediate
        .issue(&LeafSpec::new("edge.example.test").valid_until(20.5));
    let server = serve_tls_at(
        "127.0.12.9:0".parse().unwrap(),
        vec![warning.der.clone(), pki().intermediate.der()],
        warning.key_pkcs8.clone(),
    )
    .unwrap();
    let port = server.addr.port().to_string();
    let scan = certprobe(
        &db,
        &[
            "scan",
            "--targets",
            "127.0.12.9",
            "--ports",
            &port,
            "--config",
            config.to_str().unwrap(),
            "--job",
            "edge",
            "--ca-file",
            &root,
            "--no-revocation",
            "--notify",
        ],
    );
    assert_eq!(scan.code, 0, "{}{}", scan.stdout, scan.stderr);
    assert_eq!(
        scan.stdout.lines().last(),
        Some("notify: 2 notices, 2 messages sent")
    );
    let now_told = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = now_told.lines().collect();
    assert_eq!(lines.len(), 3, "{now_told}");
    assert_eq!(
        lines[1],
        format!(
            "global tier 2 Warning: edge.example.test expires in {} days ({}) at 127.0.12.9:{port}",
            days(&warning),
            day(warning.not_after)
        )
    );
    let gone = lines[2];
    assert!(
        gone.starts_with(
            "global resolved 3 Resolved: soon.example.test is no longer served at file:"
        ) && gone.ends_with(&format!("{}/soon.pem", certs.display())),
        "{gone}"
    );

    // Nobody to tell, or no config: refused before anything runs.
    let nobody = dir.path().join("nobody.toml");
    std::fs::write(
        &nobody,
        format!("[[audit]]\npaths = [\"{}\"]\n", certs.display()),
    )
    .unwrap();
    let refused = audit(&nobody, &["--notify"]);
    assert_eq!(
        (refused.code, refused.stdout.as_str(), refused.stderr),
        (2, "", format!("certprobe: --notify: {} has no [[owner]], [default_owner] or [notify] receiver to tell\n", nobody.display()))
    );
    let bare = certprobe(&db, &["scan", "--targets", "127.0.0.1", "--notify"]);
    assert_eq!(bare.code, 2);
    assert!(
        bare.stderr.starts_with(
            "error: the following required arguments were not provided:\n  --config <FILE>\n"
        ),
        "{}",
        bare.stderr
    );
}
