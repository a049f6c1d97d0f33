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
            "LDAP_CERT CRITICAL - 127.0.0.1:{} server answered with TLS straight away: is this an LDAPS port? (try --ldaps)\n",
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
