//! Failure cases: every one ends with the right state and one clear line, within the timeout.

mod common;

use certprobe_testkit::{refused_port, serve_raw, Misbehaviour};
use common::*;
use std::time::Duration;

#[test]
fn connection_refused_is_critical() {
    let port = refused_port().to_string();
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &port]);
    assert_eq!(
        run.stdout,
        format!("TLS_CERT CRITICAL - 127.0.0.1:{port} connection refused by 127.0.0.1:{port}\n")
    );
    assert_eq!(run.code, 2);
    let prtg = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "-o", "prtg-json"]);
    assert_eq!(prtg.stdout, format!("{{\"prtg\":{{\"error\":1,\"text\":\"127.0.0.1:{port}: connection refused by 127.0.0.1:{port}\"}}}}\n"));
    assert_eq!(prtg.code, 0);
}

#[test]
fn silent_server_times_out_within_the_timeout() {
    let server = serve_raw(Misbehaviour::Silent);
    let port = server.port.to_string();
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "2"]);
    assert_eq!(run.stdout, format!("TLS_CERT UNKNOWN - 127.0.0.1:{port} timeout after 2 s waiting for the server's TLS answer\n"));
    assert_eq!(run.code, 3);
    assert!(
        run.elapsed < Duration::from_secs(2),
        "took {:?}",
        run.elapsed
    );

    let critical = check_tls_cert(&[
        "-H",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "1",
        "--timeout-state",
        "critical",
    ]);
    assert_eq!(critical.code, 2);
    assert_eq!(critical.stdout, format!("TLS_CERT CRITICAL - 127.0.0.1:{port} timeout after 1 s waiting for the server's TLS answer\n"));

    let prtg = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "-t", "1", "-o", "prtg-json"]);
    assert_eq!(prtg.code, 0);
    assert_eq!(prtg.json()["prtg"]["error"], 1);
}

#[test]
fn plain_http_server_is_not_tls() {
    let server = serve_raw(Misbehaviour::PlainHttp);
    let port = server.port.to_string();
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &port]);
    assert_eq!(run.stdout, format!("TLS_CERT CRITICAL - 127.0.0.1:{port} not a TLS server: it answered 'HTTP/1.1 400 Bad Request'\n"));
    assert_eq!(run.code, 2);
}

#[test]
fn server_closing_mid_handshake_is_critical() {
    let server = serve_raw(Misbehaviour::CloseMidHandshake);
    let port = server.port.to_string();
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &port]);
    assert_eq!(run.stdout, format!("TLS_CERT CRITICAL - 127.0.0.1:{port} server closed the connection during the TLS handshake\n"));
    assert_eq!(run.code, 2);
}

#[test]
fn nonsense_arguments_are_unknown_with_a_usage_hint() {
    let cases: [(&[&str], &str); 5] = [
        (&[], "the following required arguments were not provided: --host <HOST>"),
        (&["-H", "x", "-p", "https"], "invalid value 'https' for '--port <PORT>': 'https' is not a port number (1 to 65535)"),
        (&["-H", "x", "-w", "soon"], "invalid value 'soon' for '--warning <DAYS>': 'soon' is not a number of days (0 or more), a time like 3M or 1y, a share of the lifetime like 25% or a range like 10:, ~:10, 10:20, @10:20"),
        (&["-H", "x", "-t", "0"], "invalid value '0' for '--timeout <SECONDS>': '0' is not a number of seconds between 0 and 86400"),
        (&["-H", "x", "--frobnicate"], "unexpected argument '--frobnicate' found"),
    ];
    for (args, message) in cases {
        let run = check_tls_cert(args);
        assert_eq!(
            run.stdout,
            format!("TLS_CERT UNKNOWN - invalid arguments: {message}\nUsage: check_tls_cert -H HOST [-p PORT] [options]; see --help\n"),
            "{args:?}"
        );
        assert_eq!(run.code, 3);
        assert_eq!(run.stderr, "");
    }
    let prtg = check_tls_cert(&["-o", "prtg-json", "-H", "x", "-p", "https"]);
    assert_eq!(prtg.code, 0);
    assert_eq!(
        prtg.stdout,
        "{\"prtg\":{\"error\":1,\"text\":\"invalid arguments: invalid value 'https' for '--port <PORT>': 'https' is not a port number (1 to 65535)\"}}\n"
    );
}

#[test]
fn unreadable_ca_file_is_unknown() {
    let run = check_tls_cert(&["-H", "127.0.0.1", "--ca-file", "/nonexistent/ca.pem"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.first_line(),
        "TLS_CERT UNKNOWN - cannot read CA file '/nonexistent/ca.pem': No such file or directory"
    );
}

#[test]
fn help_and_version_follow_plugin_conventions() {
    let help = check_tls_cert(&["--help"]);
    assert_eq!(help.code, 3);
    assert!(
        help.stdout
            .starts_with("Checks the TLS certificate of a server"),
        "{}",
        help.stdout
    );
    assert!(
        help.stdout
            .contains("Usage: check_tls_cert [OPTIONS] --host <HOST>"),
        "{}",
        help.stdout
    );
    let version = check_tls_cert(&["--version"]);
    assert_eq!(
        version.stdout,
        format!("check_tls_cert {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(version.code, 3);
}

#[test]
fn family_without_an_address_is_critical() {
    // A name that resolves only to IPv4 asked for over IPv6: the resolver decides, CRITICAL.
    let run = check_tls_cert(&[
        "-H",
        "localhost",
        "--address",
        "127.0.0.1",
        "-p",
        "443",
        "-4",
    ]);
    assert_ne!(run.code, 3, "{}", run.stdout);
    // An IPv4 literal with -6 can never connect: an argument error.
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", "443", "-6"]);
    assert_eq!(
        run.first_line(),
        "TLS_CERT UNKNOWN - invalid arguments: -6 asks for IPv6, but 127.0.0.1 is an IPv4 address"
    );
    assert_eq!(run.code, 3);
}
