//! Deep analysis end to end: the chain as sent and as built, certificate policy, identity pins.

mod common;

use certprobe_testkit::{serve, write_temp, Ca, LeafSpec};
use common::*;

fn check_chain(name: &str, chain: Vec<Vec<u8>>, key: Vec<u8>, extra: &[&str]) -> Run {
    let server = serve(chain, key);
    check_name(name, server.port, extra)
}

#[test]
fn chain_order_problems_are_named() {
    let pki = pki();
    let sub = pki
        .intermediate
        .intermediate("certprobe Sub Intermediate", 1000.0);
    let leaf = sub.issue(&LeafSpec::new("order.example"));
    let (i, j) = (pki.intermediate.der(), sub.der());

    let right = check_chain(
        "order.example",
        vec![leaf.der.clone(), j.clone(), i.clone()],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(right.code, 0, "{}", right.stdout);
    right.assert_line(&format!(
        "[OK] chain as built: order.example > certprobe Sub Intermediate > {INTERMEDIATE_CN} > {ROOT_CN} (trust anchor)"
    ));

    let wrong = check_chain(
        "order.example",
        vec![leaf.der.clone(), i.clone(), j.clone()],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stdout);
    wrong.assert_line(&format!("[WARNING] wrong order: chain element 2 ('{INTERMEDIATE_CN}') issues element 3, but follows element 1"));
    wrong.assert_line("[WARNING] wrong order: chain element 3 ('certprobe Sub Intermediate') issues element 1, but follows element 2");
    wrong.assert_line(&format!("[OK] chain is trusted ({})", root_file()));
}

#[test]
fn duplicates_and_a_sent_root_are_reported() {
    let pki = pki();
    let leaf = pki.intermediate.issue(&LeafSpec::new("dup.example"));
    let dup = check_chain(
        "dup.example",
        vec![
            leaf.der.clone(),
            pki.intermediate.der(),
            pki.intermediate.der(),
        ],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(dup.code, 1, "{}", dup.stdout);
    dup.assert_line(&format!(
        "[WARNING] chain element 3 ('{INTERMEDIATE_CN}') is a duplicate of element 2"
    ));

    let with_root = check_chain(
        "dup.example",
        vec![leaf.der.clone(), pki.intermediate.der(), pki.root.der()],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(with_root.code, 0, "{}", with_root.stdout);
    with_root.assert_line(&format!(
        "[OK] chain element 3 ('{ROOT_CN}') is a root certificate, sent needlessly (clients use their own copy)"
    ));

    let stranger =
        Ca::root("certprobe Stranger Root").intermediate("certprobe Stranger Intermediate", 100.0);
    let unrelated = check_chain(
        "dup.example",
        vec![leaf.der.clone(), pki.intermediate.der(), stranger.der()],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(unrelated.code, 1, "{}", unrelated.stdout);
    unrelated.assert_line("[WARNING] chain element 3 ('certprobe Stranger Intermediate') issues no certificate of the chain");
}

#[test]
fn cross_signed_paths_are_all_reported() {
    let old_root = Ca::root("certprobe Old Root");
    let new_root = Ca::root("certprobe New Root");
    let intermediate = new_root.intermediate("certprobe Cross Intermediate", 1000.0);
    let new_root_by_old = old_root.cross_sign(&new_root);
    let leaf = intermediate.issue(&LeafSpec::new("cross.example"));
    let anchors = write_temp(
        "anchors.pem",
        format!("{}{}", new_root.pem(), old_root.pem()).as_bytes(),
    );
    let server = serve(
        vec![leaf.der.clone(), intermediate.der(), new_root_by_old],
        leaf.key_pkcs8.clone(),
    );
    let port = server.port.to_string();
    let anchors = anchors.display().to_string();
    let run = check_tls_cert(&[
        "-H",
        "cross.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &anchors,
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line("[OK] chain as built: cross.example > certprobe Cross Intermediate > certprobe New Root (trust anchor)");
    run.assert_line(
        "[OK] another valid path (cross-signed): cross.example > certprobe Cross Intermediate > certprobe New Root > certprobe Old Root (trust anchor)",
    );
}

#[test]
fn long_validity_is_a_warning() {
    let (server, _) = serve_leaf(&LeafSpec::new("long.example").valid_until(500.0));
    let run = check_name("long.example", server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line("[WARNING] validity period of 501 days is longer than 398 days (browsers refuse more than 398 for certificates issued since 2020-09-01)");
    let allowed = check_name("long.example", server.port, &["--max-validity", "600"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
}

#[test]
fn alarm_tiers_follow_the_thresholds() {
    for (days, tier, code) in [
        ("200.25", "alarm tier OK: expires in more than 90 days", 0),
        ("60.25", "alarm tier Info: expires within 31 to 90 days", 0),
        (
            "20.25",
            "alarm tier Warning: expires within 8 to 30 days",
            1,
        ),
        (
            "5.25",
            "alarm tier Critical: expired or expires within 7 days",
            2,
        ),
    ] {
        let (server, _) =
            serve_leaf(&LeafSpec::new("tier.example").valid_until(days.parse().unwrap()));
        let run = check_name("tier.example", server.port, &[]);
        assert_eq!(run.code, code, "{}", run.stdout);
        run.assert_line(&format!("[OK] {tier}"));
        let json = check_name("tier.example", server.port, &["-o", "json"]).json();
        assert_eq!(
            json["tier"],
            tier.split(':')
                .next()
                .unwrap()
                .trim_start_matches("alarm tier ")
        );
    }
    let (server, _) = serve_leaf(&LeafSpec::new("tier.example").valid_until(100.25));
    let wider = check_name("tier.example", server.port, &["--info-days", "120"]);
    wider.assert_line("[OK] alarm tier Info: expires within 31 to 120 days");
}

#[test]
fn identity_pins_must_all_hold() {
    let spec = LeafSpec::new("pin.example").dns(&["pin.example", "www.pin.example"]);
    let (server, leaf) = serve_leaf(&spec);
    let facts = certprobe::analysis::CertFacts::parse(&leaf.der).unwrap();
    let sha256 = facts.sha256_fingerprint.clone();
    let colons: Vec<String> = sha256
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_lowercase())
        .collect();
    let ok = check_name(
        "pin.example",
        server.port,
        &[
            "--issuer",
            "^CN=certprobe Test Inter",
            "--fingerprint",
            &colons.join(":"),
            "--serial",
            &facts.serial,
            "--match",
            "www.pin.example",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    ok.assert_line(&format!("[OK] issuer 'CN={INTERMEDIATE_CN}, O=certprobe tests' matches --issuer '^CN=certprobe Test Inter'"));
    ok.assert_line("[OK] SHA-256 fingerprint matches the pin");
    ok.assert_line(&format!("[OK] serial number {} matches", facts.serial));
    ok.assert_line("[OK] name 'www.pin.example' is covered by DNS:www.pin.example");

    let bad = check_name(
        "pin.example",
        server.port,
        &[
            "--issuer",
            "Let's Encrypt",
            "--fingerprint",
            "00ff",
            "--serial",
            "1234",
            "--match",
            "mail.pin.example",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stdout);
    bad.assert_line(&format!("[CRITICAL] issuer 'CN={INTERMEDIATE_CN}, O=certprobe tests' does not match --issuer 'Let's Encrypt'"));
    bad.assert_line(&format!(
        "[CRITICAL] SHA-256 fingerprint {sha256} does not match the pin 00FF"
    ));
    bad.assert_line(&format!(
        "[CRITICAL] serial number {} is not the expected 1234",
        facts.serial
    ));
    bad.assert_line("[CRITICAL] name 'mail.pin.example' is not covered by the certificate");

    let nonsense = check_name("pin.example", server.port, &["--fingerprint", "xyz"]);
    assert_eq!(nonsense.code, 3);
    assert_eq!(
        nonsense.first_line(),
        "TLS_CERT UNKNOWN - invalid arguments: 'xyz' is not a hexadecimal value"
    );
}

#[test]
fn missing_intermediate_is_completed_via_aia_and_cached() {
    let pki = pki();
    let p7c = write_temp("inter.pem", pki.intermediate.pem().as_bytes());
    let bundle = std::process::Command::new("openssl")
        .args(["crl2pkcs7", "-nocrl", "-outform", "DER", "-certfile"])
        .arg(&p7c)
        .output()
        .expect("openssl crl2pkcs7")
        .stdout;
    let (base, requests) = certprobe_testkit::ocsp_responder::http_server(
        |_| Vec::new(),
        vec![
            ("/inter.crt".into(), pki.intermediate.der()),
            ("/inter.p7c".into(), bundle),
        ],
    );
    for file in ["inter.crt", "inter.p7c"] {
        let url = format!("{base}/{file}");
        let leaf = pki
            .intermediate
            .issue(&LeafSpec::new("aia.example").ca_issuers(&[&url]));
        let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());

        let plain = check_name("aia.example", server.port, &[]);
        assert_eq!(plain.code, 2, "{}", plain.stdout);

        let cache = write_temp("cache", b"");
        std::fs::remove_file(&cache).unwrap();
        let cache = cache.display().to_string();
        let before = requests.load(std::sync::atomic::Ordering::SeqCst);
        let fetched = check_name(
            "aia.example",
            server.port,
            &["--fetch-intermediates", "--cache-dir", &cache],
        );
        assert_eq!(fetched.code, 1, "{}", fetched.stdout);
        fetched.assert_line(&format!(
            "[WARNING] incomplete chain, completed via AIA: fetched '{INTERMEDIATE_CN}' from {url} (browsers may cope, many clients will not)"
        ));
        fetched.assert_line(&format!(
            "[OK] chain as built: aia.example > {INTERMEDIATE_CN} (fetched) > {ROOT_CN} (trust anchor)"
        ));
        let again = check_name(
            "aia.example",
            server.port,
            &["--fetch-intermediates", "--cache-dir", &cache],
        );
        assert_eq!(again.code, 1, "{}", again.stdout);
        assert_eq!(
            requests.load(std::sync::atomic::Ordering::SeqCst),
            before + 1,
            "the second run is answered from the cache"
        );
    }
}

#[test]
fn unreachable_aia_is_reported() {
    let pki = pki();
    let port = certprobe_testkit::refused_port();
    let url = format!("http://127.0.0.1:{port}/gone.crt");
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new("noaia.example").ca_issuers(&[&url]));
    let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());
    let run = check_name("noaia.example", server.port, &["--fetch-intermediates"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[WARNING] could not complete the chain via AIA: connection refused by 127.0.0.1:{port}"
    ));
}

#[test]
fn usages_and_basic_constraints_are_checked() {
    let (server, _) = serve_leaf(&LeafSpec::new("sign.example").signing_only());
    let run = check_name("sign.example", server.port, &[]);
    run.assert_line("[WARNING] the key usage (nonRepudiation) allows no TLS key exchange");

    let (server, _) = serve_leaf(&LeafSpec::new("client.example").server_auth(false));
    let run = check_name("client.example", server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(
        "[CRITICAL] the certificate is not for servers: its extended key usage is clientAuth",
    );

    let (server, _) = serve_leaf(&LeafSpec::new("ca-leaf.example").ca());
    let run = check_name("ca-leaf.example", server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line("[CRITICAL] the certificate is a CA certificate used as a server certificate");

    let pki = pki();
    let rogue = pki.intermediate.non_ca_issuer("certprobe Not A CA", 100.0);
    let leaf = rogue.issue(&LeafSpec::new("rogue.example"));
    let run = check_chain(
        "rogue.example",
        vec![leaf.der.clone(), rogue.der()],
        leaf.key_pkcs8.clone(),
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(
        "[CRITICAL] chain element 2 ('certprobe Not A CA') issues certificates but is not a CA",
    );
}

/// `-w 30` prints the warn range `30:`, which in Nagios range semantics alerts below 30: at
/// exactly 30 days left the state is OK, as check_ssl_cert has it ("warns when the
/// certificate expires in less than N days"), and one second less is WARNING. The same at
/// `-c 7`. The clock is pinned to the certificate's end, so the boundary is exact.
#[test]
fn state_and_perfdata_agree_at_the_exact_boundary() {
    use certprobe::budget::Budget;
    use certprobe::render::{render, Context, Format};
    use certprobe::verdict::Threshold;
    use certprobe::{CheckOptions, Checker, CheckerSettings, State, Target, TrustSelection};

    let (server, leaf) = serve_leaf(&LeafSpec::new("edge.example"));
    let checker = Checker::new(&CheckerSettings {
        trust: TrustSelection {
            files: vec![pki().root_file.clone()],
            ..TrustSelection::default()
        },
        ..CheckerSettings::default()
    })
    .unwrap();
    let options = CheckOptions {
        probe_protocols: false,
        ..CheckOptions::default()
    };
    let target = Target::new("127.0.0.1", server.port, Some("edge.example")).unwrap();
    let context = Context {
        program: "check_tls_cert",
        label: "TLS_CERT",
        verbosity: 0,
        usage: "-H HOST [-p PORT] [options]",
    };
    const DAY: i64 = 86_400;
    // One second below a boundary the printed days still round to it ("30.00"): the
    // perfdata value has two decimals, so only its range is compared there.
    for (left, state, shown) in [
        (30 * DAY + 1, State::Ok, Some("30.00")),
        (30 * DAY, State::Ok, Some("30.00")),
        (30 * DAY - 1, State::Warning, None),
        (30 * DAY - 600, State::Warning, Some("29.99")),
        (7 * DAY, State::Warning, Some("7.00")),
        (7 * DAY - 1, State::Critical, None),
        (7 * DAY - 600, State::Critical, Some("6.99")),
    ] {
        let now = leaf.not_after - left;
        let budget = Budget::within(std::time::Duration::from_secs(10));
        let outcome = checker.check_with_clock(&target, &options, &budget, &|| now);
        assert_eq!(outcome.verdict.state, state, "{left} s left");
        let text = render(Format::Nagios, &outcome, &context).text;
        let first = text.lines().next().unwrap();
        let label = match state {
            State::Ok => "OK",
            State::Warning => "WARNING",
            _ => "CRITICAL",
        };
        assert!(
            first.starts_with(&format!("TLS_CERT {label} - ")),
            "{first}"
        );
        if let Some(shown) = shown {
            let perfdata = format!(
                "| days={shown};30:;7:;; key_bits=256;;;; days_chain_elem1={shown};30:;7:;;"
            );
            assert!(first.contains(&perfdata), "{first}");
        }
        // What a Nagios graph or a perfdata-based alert makes of the printed ranges
        // agrees with the state, measured in the same unrounded days.
        let days = left as f64 / DAY as f64;
        let range = |text: &str| Threshold::parse(text).unwrap();
        let by_perfdata = if range("7:").alerts(days) {
            State::Critical
        } else if range("30:").alerts(days) {
            State::Warning
        } else {
            State::Ok
        };
        assert_eq!(by_perfdata, state, "{left} s left");
    }
}
