//! STARTTLS dialogues against small in-process servers: a well-behaved one for exact output,
//! and every failure a real daemon cannot produce. Each ends with the right state and one
//! clear line, within the timeout.

mod common;

use certprobe_testkit::{finish_tls, read_line, serve_with, tls_config, LeafSpec, Server};
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

/// An SMTP server that behaves, then hands over to TLS with the test chain.
fn good_smtp(name: &str) -> (Server, certprobe_testkit::Leaf) {
    let pki = pki();
    let leaf = pki.intermediate.issue(&LeafSpec::new(name));
    let config = tls_config(
        vec![leaf.der.clone(), pki.intermediate.der()],
        leaf.key_pkcs8.clone(),
    );
    let server = serve_with(move |mut s| {
        let _ = s.write_all(b"220-mail.example ESMTP\r\n220 second greeting line\r\n");
        if !read_line(&mut s).starts_with("EHLO ") {
            return;
        }
        let _ =
            s.write_all(b"250-mail.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
        if read_line(&mut s) != "STARTTLS\r\n" {
            return;
        }
        let _ = s.write_all(b"220 2.0.0 Ready to start TLS\r\n");
        finish_tls(s, &config);
    });
    (server, leaf)
}

/// An SMTP server scripted by `respond`, which gets each client line and answers it.
fn smtp_script(greeting: &'static [u8], respond: fn(&str, &mut TcpStream) -> bool) -> Server {
    serve_with(move |mut s| {
        let _ = s.write_all(greeting);
        loop {
            let line = read_line(&mut s);
            if line.is_empty() || !respond(&line, &mut s) {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
        }
    })
}

fn smtp(port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let root = root_file();
    let mut args = vec![
        "-H",
        "mail.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
    ];
    args.extend_from_slice(extra);
    check_smtp_cert(&args)
}

#[test]
fn smtp_starttls_reads_the_certificate() {
    let (server, leaf) = good_smtp("mail.example");
    let run = smtp(server.port, &["--helo", "probe.example", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "SMTP_CERT OK - mail.example:{} 'mail.example' issued by '{INTERMEDIATE_CN}' expires in 90.25 days on {}, ECDSA P-256 | {}",
            server.port,
            date(leaf.not_after),
            perfdata("90.25", 256)
        )
    );
    assert!(
        run.stdout.contains("\ngreeting: 220 mail.example ESMTP\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_tls_cert_speaks_starttls_too() {
    let (server, _) = good_smtp("mail.example");
    let port = server.port.to_string();
    let root = root_file();
    let run = check_tls_cert(&[
        "-H",
        "mail.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
        "--starttls",
        "smtp",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.first_line().starts_with(&format!(
        "TLS_CERT OK - mail.example:{port} 'mail.example' issued by"
    )));
}

#[test]
fn starttls_not_advertised_is_critical() {
    let server = smtp_script(b"220 mail.example ESMTP\r\n", |line, s| {
        line.starts_with("EHLO")
            && s.write_all(b"250-mail.example\r\n250 PIPELINING\r\n")
                .is_ok()
    });
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!(
            "SMTP_CERT CRITICAL - mail.example:{} server does not offer STARTTLS\n",
            server.port
        )
    );
    assert_eq!(run.code, 2);
}

#[test]
fn tls_not_available_quotes_the_server() {
    let server = smtp_script(b"220 mail.example ESMTP\r\n", |line, s| {
        let answer: &[u8] = if line.starts_with("EHLO") {
            b"250-mail.example\r\n250 STARTTLS\r\n"
        } else {
            b"454 4.7.0 TLS not available due to local problem\r\n"
        };
        s.write_all(answer).is_ok()
    });
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!("SMTP_CERT CRITICAL - mail.example:{} SMTP server refused STARTTLS: 454 4.7.0 TLS not available due to local problem\n", server.port)
    );
    assert_eq!(run.code, 2);
}

#[test]
fn starttls_not_implemented_quotes_the_server() {
    let server = smtp_script(b"220 mail.example ESMTP\r\n", |line, s| {
        let answer: &[u8] = if line.starts_with("EHLO") {
            b"250-mail.example\r\n250 STARTTLS\r\n"
        } else {
            b"502 5.5.1 Command not implemented\r\n"
        };
        s.write_all(answer).is_ok()
    });
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!("SMTP_CERT CRITICAL - mail.example:{} SMTP server refused STARTTLS: 502 5.5.1 Command not implemented\n", server.port)
    );
}

#[test]
fn rejecting_greeting_quotes_the_server() {
    let server = smtp_script(b"554 5.3.2 mail.example closed to you\r\n", |_, _| false);
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!("SMTP_CERT CRITICAL - mail.example:{} SMTP server refused the session: 554 5.3.2 mail.example closed to you\n", server.port)
    );
}

#[test]
fn endless_greeting_times_out_naming_the_step() {
    let server = serve_with(|mut s| {
        for _ in 0..1000 {
            if s.write_all(b"220-still greeting you\r\n").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let run = smtp(server.port, &["-t", "2"]);
    assert_eq!(
        run.stdout,
        format!(
            "SMTP_CERT UNKNOWN - mail.example:{} timeout after 2 s waiting for the SMTP greeting\n",
            server.port
        )
    );
    assert_eq!(run.code, 3);
    assert!(
        run.elapsed < Duration::from_secs(2),
        "took {:?}",
        run.elapsed
    );
}

#[test]
fn megabyte_reply_line_is_refused() {
    let server = serve_with(|mut s| {
        let mut line = b"220 ".to_vec();
        line.extend(std::iter::repeat_n(b'a', 1 << 20));
        line.extend_from_slice(b"\r\n");
        let _ = s.write_all(&line);
    });
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!("SMTP_CERT CRITICAL - mail.example:{} the SMTP greeting has a line longer than 4096 bytes\n", server.port)
    );
}

#[test]
fn server_closing_after_ehlo_is_critical() {
    let server = serve_with(|mut s| {
        let _ = s.write_all(b"220 mail.example ESMTP\r\n");
        let _ = read_line(&mut s);
    });
    let run = smtp(server.port, &[]);
    assert_eq!(
        run.stdout,
        format!("SMTP_CERT CRITICAL - mail.example:{} server closed the connection before the EHLO reply\n", server.port)
    );
}

#[test]
fn lmtp_uses_lhlo() {
    let pki = pki();
    let leaf = pki.intermediate.issue(&LeafSpec::new("lmtp.example"));
    let config = tls_config(
        vec![leaf.der.clone(), pki.intermediate.der()],
        leaf.key_pkcs8.clone(),
    );
    let server = serve_with(move |mut s| {
        let _ = s.write_all(b"220 lmtp.example LMTP ready\r\n");
        if !read_line(&mut s).starts_with("LHLO ") {
            let _ = s.write_all(b"500 5.5.1 LHLO expected\r\n");
            return;
        }
        let _ = s.write_all(b"250-lmtp.example\r\n250 STARTTLS\r\n");
        let _ = read_line(&mut s);
        let _ = s.write_all(b"220 go ahead\r\n");
        finish_tls(s, &config);
    });
    let port = server.port.to_string();
    let root = root_file();
    let run = check_lmtp_cert(&[
        "-H",
        "lmtp.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.first_line().starts_with(&format!(
        "LMTP_CERT OK - lmtp.example:{port} 'lmtp.example'"
    )));
}

/// An LDAP server that reads one request and answers with `answer`, then waits.
fn ldap_answering(answer: &'static [u8]) -> Server {
    serve_with(move |mut s| {
        let mut request = [0u8; 31];
        let _ = std::io::Read::read_exact(&mut s, &mut request);
        let _ = s.write_all(answer);
        std::thread::sleep(Duration::from_secs(30));
    })
}

fn ldap(port: u16) -> Run {
    let port = port.to_string();
    check_ldap_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "3"])
}

#[test]
fn ldap_result_codes_are_named() {
    let protocol_error = ldap_answering(
        b"\x30\x2a\x02\x01\x01\x78\x25\x0a\x01\x02\x04\x00\x04\x1eunsupported extended operation",
    );
    let run = ldap(protocol_error.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} LDAP server refused StartTLS: protocolError (2): \"unsupported extended operation\"\n",
            protocol_error.port
        )
    );
    assert_eq!(run.code, 2);
    let unavailable = ldap_answering(b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x34\x04\x00\x04\x00");
    let run = ldap(unavailable.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} LDAP server refused StartTLS: unavailable (52)\n",
            unavailable.port
        )
    );
}

#[test]
fn ldap_notice_of_disconnection_ends_the_check() {
    // messageID 0, resultCode success, "bye\r\n", responseName 1.3.6.1.4.1.1466.20036: not
    // the StartTLS response, whatever its result.
    let notice = ldap_answering(
        b"\x30\x29\x02\x01\x00\x78\x24\x0a\x01\x00\x04\x00\x04\x05bye\r\n\x8a\x161.3.6.1.4.1.1466.20036",
    );
    let run = ldap(notice.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} LDAP server ended the session with a Notice of Disconnection instead of answering StartTLS: success (0): \"bye\\r\\n\"\n",
            notice.port
        )
    );
    assert_eq!(run.code, 2);
}

#[test]
fn truncated_ldap_response_is_critical_within_the_timeout() {
    let server = ldap_answering(b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01");
    let run = ldap(server.port);
    assert_eq!(run.stdout, format!("LDAP_CERT UNKNOWN - 127.0.0.1:{} timeout after 3 s waiting for the StartTLS response\n", server.port));
    let closing = serve_with(|mut s| {
        let mut request = [0u8; 31];
        let _ = std::io::Read::read_exact(&mut s, &mut request);
        let _ = s.write_all(b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01");
    });
    let run = ldap(closing.port);
    assert_eq!(
        run.stdout,
        format!("LDAP_CERT CRITICAL - 127.0.0.1:{} server closed the connection before the StartTLS response\n", closing.port)
    );
}

#[test]
fn malformed_ldap_response_is_critical() {
    let server = ldap_answering(b"\x30\x05\x02\x01\x01\x04\x00");
    let run = ldap(server.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} malformed StartTLS response: expected ExtendedResponse (tag 0x78), found tag 0x04\n",
            server.port
        )
    );
    let huge = ldap_answering(b"\x30\x84\x7f\xff\xff\xff");
    let run = ldap(huge.port);
    assert_eq!(
        run.stdout,
        format!("LDAP_CERT CRITICAL - 127.0.0.1:{} StartTLS response of 2147483647 bytes is too large\n", huge.port)
    );
}

#[test]
fn ldap_server_answering_with_tls_is_named() {
    let server = ldap_answering(b"\x16\x03\x01\x00\x05hello");
    let run = ldap(server.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} server answered with TLS straight away: is this an LDAPS port? (check it with direct TLS: check_ldap_cert --ldaps, or check_tls_cert without --starttls)\n",
            server.port
        )
    );
}

#[test]
fn prtg_starttls_sensor_parameters_are_accepted() {
    let (server, leaf) = good_smtp("mail.example");
    let params = format!("port: {}, protocol: smtp, cert_domainname: mail.example, cert_domainname_validation: cn_san", server.port);
    let run = check_smtp_cert(&["127.0.0.1", &params]);
    assert_eq!(run.code, 0);
    let prtg = run.json();
    assert_eq!(channel_values(&prtg), good_channels(1));
    let text = prtg["prtg"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sha1 = certprobe::encoding::hex_upper(&openssl_sha1(&leaf.der));
    assert!(
        text.starts_with(&format!("CRITICAL. Certificate Common Name: mail.example - Certificate Thumbprint: {sha1} - STARTTLS Protocol: SMTP - Issuer: ")),
        "{text}"
    );

    // Split by PRTG into several arguments, CN-only validation against the device address.
    let port = server.port.to_string();
    let split = check_tls_cert(&[
        "127.0.0.1",
        "port:",
        &format!("{port},"),
        "protocol:",
        "smtp,",
        "cert_domainname_validation:",
        "cn",
    ]);
    assert_eq!(
        split.json()["prtg"]["result"][1]["value"],
        1,
        "{}",
        split.stdout
    );
}

#[test]
fn prtg_parameter_problems_are_prtg_errors() {
    for (params, message) in [
        ("port: 25, protocol: smtp, colour: blue", "unknown parameter 'colour' (known: port, protocol, cert_domainname, cert_domainname_validation)"),
        ("port: 0, protocol: smtp", "bad port '0': a number from 1 to 65535 is needed"),
        ("port: 25", "missing parameter 'protocol' (smtp, lmtp or ldap)"),
    ] {
        let run = check_smtp_cert(&["mail.example", params]);
        assert_eq!(run.stdout, format!("{{\"prtg\":{{\"error\":1,\"text\":\"invalid arguments: {message}\"}}}}\n"));
        assert_eq!(run.code, 0);
    }
}

#[test]
fn options_of_other_plugins_are_refused() {
    let run = check_tls_cert(&["-H", "x", "--ldaps"]);
    assert_eq!(run.first_line(), "TLS_CERT UNKNOWN - invalid arguments: --ldaps is an option of check_ldap_cert, not of check_tls_cert");
    let run = check_ldap_cert(&["-H", "x", "--starttls", "smtp"]);
    assert_eq!(run.first_line(), "LDAP_CERT UNKNOWN - invalid arguments: --starttls is an option of check_tls_cert, not of check_ldap_cert");
    let run = check_tls_cert(&["-H", "x", "--starttls", "gopher"]);
    assert_eq!(
        run.first_line(),
        "TLS_CERT UNKNOWN - invalid arguments: invalid value 'gopher' for '--starttls <PROTO>': 'gopher' is not one of smtp, lmtp, ldap, imap, pop3, ftp, xmpp, postgres, mysql, sieve"
    );
}

fn openssl_sha1(der: &[u8]) -> Vec<u8> {
    let file = certprobe_testkit::write_temp("fp.der", der);
    std::process::Command::new("openssl")
        .args(["dgst", "-sha1", "-binary"])
        .arg(&file)
        .output()
        .expect("openssl dgst")
        .stdout
}

// ---- Servers that speak something else, or garbage ----

/// Every STARTTLS protocol: its `--starttls` name and the name its messages use.
const PROTOCOLS: [(&str, &str); 10] = [
    ("smtp", "SMTP"),
    ("lmtp", "LMTP"),
    ("ldap", "LDAP"),
    ("imap", "IMAP"),
    ("pop3", "POP3"),
    ("ftp", "FTP"),
    ("xmpp", "XMPP"),
    ("postgres", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("sieve", "ManageSieve"),
];

const SMTP_BANNER: &[u8] = b"220 mail.example ESMTP\r\n";
const SSH_BANNER: &[u8] = b"SSH-2.0-OpenSSH_9.2\r\n";
const HTTP_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 50\r\nConnection: close\r\n\r\n<html><body><h1>400 Bad Request</h1></body></html>";
/// Fixed "random" bytes: invalid UTF-8, NUL, DEL and other control characters.
const RANDOM: &[u8] = b"\x9c\x1f\x00\xe3\x7f\x42\x13\xfe\x88\x01\x5a\xc4";
/// How RANDOM is quoted: invalid UTF-8 as U+FFFD, control characters as escapes.
const RANDOM_QUOTED: &str = "\\x9c\\x1f\\0\\xe3\\x7fB\\x13\\xfe\\x88\\x01Z\\xc4";
/// A TLS alert record (handshake failure), as a TLS server answers a plain-text request.
const TLS_ALERT: &[u8] = b"\x15\x03\x03\x00\x02\x02\x28";

/// check_tls_cert --starttls `protocol` against `port`, with a 10 s timeout.
fn starttls(protocol: &str, port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let mut args = vec![
        "-H",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "10",
        "--starttls",
        protocol,
    ];
    args.extend_from_slice(extra);
    check_tls_cert(&args)
}

/// Asserts one whole CRITICAL line, printed at once (well before the 10 s timeout).
fn assert_critical_at_once(run: &Run, label: &str, port: u16, message: &str) {
    assert_eq!(
        run.stdout,
        format!("{label} CRITICAL - 127.0.0.1:{port} {message}\n")
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.elapsed < Duration::from_secs(3),
        "took {:?} for {message}",
        run.elapsed
    );
}

/// Each protocol (but those in `skip`, for which `bytes` are a valid start) against a server
/// that sends `bytes` at once: CRITICAL at once, quoting `quoted`.
fn assert_not_spoken(bytes: &'static [u8], quoted: &str, skip: &[&str]) {
    let server = certprobe_testkit::serve_bytes(bytes);
    for (name, label) in PROTOCOLS {
        if skip.contains(&name) {
            continue;
        }
        let run = starttls(name, server.port, &[]);
        assert_critical_at_once(
            &run,
            "TLS_CERT",
            server.port,
            &format!("the server does not speak {label}: it sent '{quoted}'"),
        );
    }
}

#[test]
fn an_smtp_banner_on_another_protocol_is_named_at_once() {
    assert_not_spoken(
        SMTP_BANNER,
        "220 mail.example ESMTP",
        // A 220 greeting is also LMTP's and FTP's.
        &["smtp", "lmtp", "ftp"],
    );
}

#[test]
fn an_ssh_banner_is_named_at_once() {
    assert_not_spoken(SSH_BANNER, "SSH-2.0-OpenSSH_9.2", &[]);
}

#[test]
fn an_http_error_is_named_at_once() {
    assert_not_spoken(HTTP_400, "HTTP/1.1 400 Bad Request", &[]);
}

#[test]
fn random_bytes_are_quoted_visibly_at_once() {
    assert_not_spoken(RANDOM, RANDOM_QUOTED, &[]);
}

#[test]
fn a_tls_answer_is_named_at_once() {
    let server = certprobe_testkit::serve_bytes(TLS_ALERT);
    for (name, label) in PROTOCOLS {
        let run = starttls(name, server.port, &[]);
        let message = if name == "ldap" {
            "server answered with TLS straight away: is this an LDAPS port? (check it with direct TLS: check_ldap_cert --ldaps, or check_tls_cert without --starttls)".into()
        } else {
            format!("the server does not speak {label}: it sent a TLS alert (is this a TLS port?)")
        };
        assert_critical_at_once(&run, "TLS_CERT", server.port, &message);
    }
}

#[test]
fn the_dedicated_plugins_name_another_protocol_too() {
    let ssh = certprobe_testkit::serve_bytes(SSH_BANNER);
    let port = ssh.port.to_string();
    for (run, label, protocol) in [
        (
            check_smtp_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "10"]),
            "SMTP_CERT",
            "SMTP",
        ),
        (
            check_lmtp_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "10"]),
            "LMTP_CERT",
            "LMTP",
        ),
        (
            check_ldap_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "10"]),
            "LDAP_CERT",
            "LDAP",
        ),
    ] {
        assert_critical_at_once(
            &run,
            label,
            ssh.port,
            &format!("the server does not speak {protocol}: it sent 'SSH-2.0-OpenSSH_9.2'"),
        );
    }
    let smtp = certprobe_testkit::serve_bytes(SMTP_BANNER);
    let run = check_ldap_cert(&["-H", "127.0.0.1", "-p", &smtp.port.to_string(), "-t", "10"]);
    assert_critical_at_once(
        &run,
        "LDAP_CERT",
        smtp.port,
        "the server does not speak LDAP: it sent '220 mail.example ESMTP'",
    );
}

#[test]
fn lines_that_cannot_start_a_greeting_are_refused_before_their_end() {
    // No line ending ever comes: each is judged on its first bytes.
    for (bytes, protocol, label, quoted) in [
        (&b"* HELLO there"[..], "imap", "IMAP", "* HELLO there"),
        (b"+OKAY", "pop3", "POP3", "+OKAY"),
        (b"OKAY", "sieve", "ManageSieve", "OKAY"),
        (b"2200 hello", "smtp", "SMTP", "2200 hello"),
        (b"22x", "ftp", "FTP", "22x"),
        (b"<html><body>", "xmpp", "XMPP", "<html><body>"),
        (b"<?php echo", "xmpp", "XMPP", "<?php echo"),
    ] {
        let server = certprobe_testkit::serve_bytes(bytes);
        let run = starttls(protocol, server.port, &[]);
        assert_critical_at_once(
            &run,
            "TLS_CERT",
            server.port,
            &format!("the server does not speak {label}: it sent '{quoted}'"),
        );
    }
}

#[test]
fn managesieve_does_not_skip_unknown_lines() {
    let server = certprobe_testkit::serve_bytes(
        b"\"IMPLEMENTATION\" \"Dovecot\"\r\n* OK [CAPABILITY IMAP4rev1] ready\r\n".repeat(50),
    );
    let run = starttls("sieve", server.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        server.port,
        "the server does not speak ManageSieve: it sent '* OK [CAPABILITY IMAP4rev1] ready'",
    );
}

#[test]
fn long_garbage_is_quoted_in_60_characters() {
    let server = certprobe_testkit::serve_bytes(vec![b'a'; 1 << 20]);
    let run = starttls("imap", server.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        server.port,
        &format!(
            "the server does not speak IMAP: it sent '{}...'",
            "a".repeat(60)
        ),
    );
}

#[test]
fn control_characters_in_replies_are_shown_as_escapes() {
    for (bytes, protocol, message) in [
        (
            &b"554 5.3.2 go\x1b[2J away\x00 now\r\n"[..],
            "smtp",
            "SMTP server refused the session: 554 5.3.2 go\\x1b[2J away\\0 now",
        ),
        (
            b"\"SIEVE\" \"fileinto\"\r\nBYE \"maintenance\x07\x1b]0;owned\x07\"\r\n",
            "sieve",
            "ManageSieve server refused the session: BYE \"maintenance\\x07\\x1b]0;owned\\x07\"",
        ),
        (
            b"* BYE \x1b[31mred\r\n",
            "imap",
            "IMAP server refused the session: * BYE \\x1b[31mred",
        ),
        (
            b"\x1b[31mhello\r\n",
            "pop3",
            "the server does not speak POP3: it sent '\\x1b[31mhello'",
        ),
        (
            b"\r\n\r\nhello",
            "ftp",
            "the server does not speak FTP: it sent '\\r\\n\\r\\nhello'",
        ),
    ] {
        let server = certprobe_testkit::serve_bytes(bytes);
        let run = starttls(protocol, server.port, &[]);
        assert_critical_at_once(&run, "TLS_CERT", server.port, message);
    }
    let diagnostic =
        ldap_answering(b"\x30\x17\x02\x01\x01\x78\x12\x0a\x01\x02\x04\x00\x04\x0bno\r\nway\x1b[0m");
    let run = ldap(diagnostic.port);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{} LDAP server refused StartTLS: protocolError (2): \"no\\r\\nway\\x1b[0m\"\n",
            diagnostic.port
        )
    );
}

// ---- Databases quote their refusals ----

/// A PostgreSQL server that reads the SSLRequest and answers with `answer`.
fn postgres_answering(answer: Vec<u8>) -> Server {
    serve_with(move |mut s| {
        let mut request = [0u8; 8];
        if std::io::Read::read_exact(&mut s, &mut request).is_ok() {
            let _ = s.write_all(&answer);
        }
        std::thread::sleep(Duration::from_secs(30));
    })
}

/// A protocol-3 ErrorResponse of `fields` (type, value).
fn error_response(fields: &[(u8, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, value) in fields {
        body.push(*kind);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = vec![b'E'];
    message.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    message.extend_from_slice(&body);
    message
}

#[test]
fn postgres_errors_quote_severity_code_and_message() {
    let refused = postgres_answering(error_response(&[
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "28000"),
        (
            b'M',
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"nagios\", database \"postgres\", no encryption",
        ),
        (b'F', "auth.c"),
        (b'L', "543"),
        (b'R', "ClientAuthentication"),
    ]));
    let run = starttls("postgres", refused.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        refused.port,
        "PostgreSQL server refused the SSLRequest: FATAL 28000 no pg_hba.conf entry for host \"127.0.0.1\", user \"nagios\", database \"postgres\", no encryption",
    );

    // The postmaster's own early errors are protocol-2 text up to a NUL.
    let fork = postgres_answering(
        b"Ecould not fork new process for connection: Cannot allocate memory\n\0".to_vec(),
    );
    let run = starttls("postgres", fork.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        fork.port,
        "PostgreSQL server refused the SSLRequest: could not fork new process for connection: Cannot allocate memory",
    );

    let no_ssl = postgres_answering(b"N".to_vec());
    let run = starttls("postgres", no_ssl.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        no_ssl.port,
        "PostgreSQL server does not accept SSL",
    );
}

/// A MySQL packet with sequence number 0.
fn mysql_packet(payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut packet = len.to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend_from_slice(payload);
    packet
}

#[test]
fn mysql_errors_quote_code_state_and_message() {
    let with_state = certprobe_testkit::serve_bytes(mysql_packet(
        b"\xff\x6a\x04#HY000Host '127.0.0.1' is not allowed to connect to this MySQL server",
    ));
    let run = starttls("mysql", with_state.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        with_state.port,
        "MySQL server refused the connection: error 1130 (HY000): Host '127.0.0.1' is not allowed to connect to this MySQL server",
    );
    // Before the handshake, servers usually send no SQLSTATE.
    let without_state =
        certprobe_testkit::serve_bytes(mysql_packet(b"\xff\x10\x04Too many connections"));
    let run = starttls("mysql", without_state.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        without_state.port,
        "MySQL server refused the connection: error 1040: Too many connections",
    );
}

// ---- Every read bounded, every wait ended by the deadline ----

#[test]
fn endless_and_oversized_greetings_end_with_the_right_sentence() {
    let mut imap_line = b"* OK ".to_vec();
    imap_line.extend(std::iter::repeat_n(b'a', 1 << 20));
    imap_line.extend_from_slice(b"\r\n");
    let mut xmpp = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'>".to_vec();
    xmpp.extend(b"<message/>".repeat(100_000));
    for (bytes, protocol, message) in [
        (
            imap_line,
            "imap",
            "the IMAP greeting has a line longer than 4096 bytes",
        ),
        (
            b"\"SIEVE\" \"fileinto\"\r\n".repeat(1000),
            "sieve",
            "the ManageSieve greeting has more than 200 lines",
        ),
        (
            b"220-still greeting you\r\n".repeat(1000),
            "ftp",
            "the FTP greeting has more than 200 lines",
        ),
        (
            xmpp,
            "xmpp",
            "the XMPP stream features is longer than 65536 bytes",
        ),
        (
            mysql_packet(&[0x0a; 20_000]),
            "mysql",
            "the MySQL handshake packet of 20000 bytes is too large",
        ),
    ] {
        let server = certprobe_testkit::serve_bytes(bytes);
        let run = starttls(protocol, server.port, &[]);
        assert_critical_at_once(&run, "TLS_CERT", server.port, message);
    }
}

#[test]
fn trickled_bytes_end_at_the_deadline_or_at_the_first_wrong_byte() {
    let pause = Duration::from_millis(200);
    // A plausible greeting, one byte at a time, never finished: the timeout names the step.
    for (bytes, protocol, step) in [
        (
            &b"+OK Dovecot ready, and more and more and more"[..],
            "pop3",
            "the POP3 greeting",
        ),
        (
            b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'><stream:features>",
            "xmpp",
            "the XMPP stream features",
        ),
        (
            b"\x4a\x00\x00\x00\x0a5.7.44",
            "mysql",
            "the MySQL handshake",
        ),
        (
            b"\x30\x0c\x02\x01\x01\x78\x07",
            "ldap",
            "the StartTLS response",
        ),
    ] {
        let server = certprobe_testkit::serve_trickle(bytes, 1, pause);
        let port = server.port.to_string();
        let run = check_tls_cert(&[
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "2",
            "--starttls",
            protocol,
        ]);
        assert_eq!(
            run.stdout,
            format!("TLS_CERT UNKNOWN - 127.0.0.1:{port} timeout after 2 s waiting for {step}\n")
        );
        assert_eq!(run.code, 3);
        assert!(
            run.elapsed < Duration::from_secs(2),
            "took {:?}",
            run.elapsed
        );
    }
    // Another protocol, trickled: the first byte that cannot be LDAP ends the dialogue.
    let ssh = certprobe_testkit::serve_trickle(SSH_BANNER, 1, pause);
    let run = starttls("ldap", ssh.port, &[]);
    assert_critical_at_once(
        &run,
        "TLS_CERT",
        ssh.port,
        "the server does not speak LDAP: it sent 'S'",
    );
}
