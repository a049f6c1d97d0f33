use super::*;

const EXAMPLE: &str = r#"
[defaults]
connect_timeout = "2s"
timeout = "10s"
concurrency = 2000
ca_files = ["/etc/ssl/corp-root.pem", "/etc/ssl/lab.pem"]
no_revocation = true

[sni]
"192.0.2.20" = ["intranet.example.com"]

[[job]]
name = "dmz"
targets = ["192.0.2.0/24", "2001:db8::/120", "mail.example.com"]
ports = ["443", "8443-8445", "25/smtp", 636]
exclude = ["192.0.2.1"]
schedule = "0 3 * * *"
sni = { "192.0.2.10" = ["www.example.com", "shop.example.com"] }
timeout = "20s"
"#;

fn error(text: &str) -> String {
    parse("certprobe.toml", text, None).unwrap_err().to_string()
}

#[test]
fn the_readme_example_reads_as_written() {
    let config = parse("certprobe.toml", EXAMPLE, None).unwrap();
    let words: Vec<(String, usize, Vec<String>)> = config
        .defaults
        .iter()
        .map(|d| (d.key.clone(), d.line, d.words.clone()))
        .collect();
    assert_eq!(
        words,
        [
            (
                "ca_files".to_string(),
                6,
                vec![
                    "--ca-file".to_string(),
                    "/etc/ssl/corp-root.pem".to_string(),
                    "--ca-file".to_string(),
                    "/etc/ssl/lab.pem".to_string()
                ]
            ),
            (
                "concurrency".to_string(),
                5,
                vec!["--concurrency".to_string(), "2000".to_string()]
            ),
            (
                "connect_timeout".to_string(),
                3,
                vec!["--connect-timeout".to_string(), "2s".to_string()]
            ),
            (
                "no_revocation".to_string(),
                7,
                vec!["--no-revocation".to_string()]
            ),
            (
                "timeout".to_string(),
                4,
                vec!["--timeout".to_string(), "10s".to_string()]
            ),
        ]
    );
    let job = config.job("dmz").unwrap();
    assert_eq!(job.targets.len(), 3);
    assert_eq!(
        job.ports.iter().map(|p| p.ports().count()).sum::<usize>(),
        6
    );
    assert_eq!(job.schedule.as_deref(), Some("0 3 * * *"));
    assert_eq!(job.limits.timeout, Some(Duration::from_secs(20)));
    assert_eq!(job.limits.concurrency, None);
    let sni: Vec<String> = job
        .sni
        .iter()
        .map(|(ip, names)| format!("{ip}={}", names.join(",")))
        .collect();
    assert_eq!(
        sni,
        [
            "192.0.2.10=shop.example.com,www.example.com",
            "192.0.2.20=intranet.example.com"
        ]
    );
}

#[test]
fn errors_name_the_file_the_line_and_the_key() {
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\nports = [\"443\",\n \"70000\"]\n"),
        "certprobe.toml:5: ports: '70000' is not a port"
    );
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.300\"]\nports = [443]\n"),
        "certprobe.toml:3: targets: '192.0.2.300' is not an address, a range or a host name"
    );
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\nports = [443]\nschedule = \"every day\"\n"),
        "certprobe.toml:5: schedule: 'every day' is not a five-field cron schedule (minute hour day-of-month month day-of-week, as in '0 3 * * *')"
    );
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\nports = [443]\ntimeout = \"soon\"\n"),
        "certprobe.toml:5: timeout: 'soon' is not a duration (use seconds, or a number with ms, s, m, h, d or w: 500ms, 36h, 2d)"
    );
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\n"),
        "certprobe.toml:2: job 'a' has no ports"
    );
    assert_eq!(
        error("[sni]\n\"www.example.com\" = [\"x\"]\n"),
        "certprobe.toml:2: sni: 'www.example.com' is not an IP address"
    );
    let unknown = error("[[job]]\nname = \"a\"\ntarget = [\"192.0.2.1\"]\n");
    assert!(
        unknown.starts_with("certprobe.toml:3: unknown field `target`"),
        "{unknown}"
    );
    let syntax = error("[defaults\n");
    assert!(syntax.starts_with("certprobe.toml:1: "), "{syntax}");
    assert_eq!(
        error("[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\nports = [443]\n[[job]]\nname = \"a\"\ntargets = [\"192.0.2.1\"]\nports = [443]\n"),
        "certprobe.toml:6: name: a job 'a' is defined twice"
    );
}

#[test]
fn an_sni_file_adds_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sni.txt"),
        "# address names\n192.0.2.30 a.example.com b.example.com\n\n",
    )
    .unwrap();
    let text = "[[job]]\nname = \"a\"\ntargets = [\"192.0.2.0/28\"]\nports = [443]\nsni_file = \"sni.txt\"\n";
    let config = parse("certprobe.toml", text, Some(dir.path())).unwrap();
    assert_eq!(
        config.jobs[0]
            .sni
            .get(&"192.0.2.30".parse().unwrap())
            .unwrap(),
        &["a.example.com", "b.example.com"]
    );
    std::fs::write(dir.path().join("sni.txt"), "a.example.com 192.0.2.30\n").unwrap();
    assert_eq!(
        parse("certprobe.toml", text, Some(dir.path()))
            .unwrap_err()
            .to_string(),
        format!(
            "certprobe.toml:5: sni_file: {}:1: 'a.example.com' is not an IP address",
            dir.path().join("sni.txt").display()
        )
    );
}

#[test]
fn audit_sections_read_with_their_defaults_and_lines() {
    let text = r#"
[[audit]]
paths = ["/etc/ssl", "/etc/nginx"]
include = ["**/*.pem", "**/*.crt"]

[[audit]]
name = "java"
paths = ["/opt/app/keystore.jks"]
exclude = ["**/old/**"]
follow_symlinks = true
password_file = "keystore.pass"
zone = "dmz"
"#;
    let config = parse("certprobe.toml", text, Some(Path::new("/etc/certprobe"))).unwrap();
    assert_eq!(
        config.audits,
        [
            AuditSpec {
                name: "audit".into(),
                line: 3,
                paths: vec!["/etc/ssl".into(), "/etc/nginx".into()],
                windows_stores: vec![],
                include: vec![
                    Located {
                        text: "**/*.pem".into(),
                        line: 4
                    },
                    Located {
                        text: "**/*.crt".into(),
                        line: 4
                    }
                ],
                exclude: vec![],
                follow_symlinks: false,
                password_file: None,
                password_env: None,
                zone: None,
                names: vec![],
            },
            AuditSpec {
                name: "java".into(),
                line: 7,
                paths: vec!["/opt/app/keystore.jks".into()],
                windows_stores: vec![],
                include: vec![],
                exclude: vec![Located {
                    text: "**/old/**".into(),
                    line: 9
                }],
                follow_symlinks: true,
                password_file: Some("/etc/certprobe/keystore.pass".into()),
                password_env: None,
                zone: Some("dmz".into()),
                names: vec![],
            },
        ]
    );
    assert!(config.jobs.is_empty());
}

#[test]
fn a_bad_audit_section_says_where() {
    assert_eq!(
        error("[[audit]]\npaths = []\n"),
        "certprobe.toml:2: paths: the audit 'audit' reads no path and no windows_stores"
    );
    assert_eq!(
        error("[[audit]]\npaths = [\"/a\"]\n[[audit]]\npaths = [\"/b\"]\n"),
        "certprobe.toml:4: name: an audit 'audit' is defined twice (name each [[audit]])"
    );
    assert_eq!(
        error("[[audit]]\nname = \"a b\"\npaths = [\"/a\"]\n"),
        "certprobe.toml:2: name: 'a b' is not an audit name (letters, digits, '-', '_' and '.')"
    );
    assert_eq!(
        error("[[audit]]\npaths = [\"/a\"]\npassword_file = \"p\"\npassword_env = \"P\"\n"),
        "certprobe.toml:4: password_env: give password_file or password_env, not both"
    );
    assert!(
        error("[[audit]]\npaths = [\"/a\"]\nschedule = \"0 3 * * *\"\n")
            .starts_with("certprobe.toml:3: unknown field `schedule`")
    );
    assert_eq!(
        error("[[audit]]\nname = \"x\"\n"),
        "certprobe.toml:2: paths: the audit 'x' reads no path and no windows_stores"
    );
}
