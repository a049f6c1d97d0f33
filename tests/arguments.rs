//! Bad arguments, as a new user types them: each is UNKNOWN with one sentence and the usage
//! hint, never sent to a server, and in PRTG's format when PRTG asked.

mod common;

use common::*;

fn usage_line(plugin: &str, label: &str, message: &str) -> String {
    format!("{label} UNKNOWN - invalid arguments: {message}\nUsage: {plugin} -H HOST [-p PORT] [options]; see --help\n")
}

#[test]
fn each_bad_value_gets_one_sentence() {
    let cases: [(&[&str], &str); 13] = [
        (&["-H", "x", "-p", "-1"], "invalid value '-1' for '--port <PORT>': '-1' is not a port number (1 to 65535)"),
        (&["-H", "x", "-p", "0"], "invalid value '0' for '--port <PORT>': '0' is not a port number (1 to 65535)"),
        (&["-H", "x", "-p", "70000"], "invalid value '70000' for '--port <PORT>': '70000' is not a port number (1 to 65535)"),
        (&["-H", "x", "-t", "-1"], "invalid value '-1' for '--timeout <SECONDS>': '-1' is not a number of seconds between 0 and 86400"),
        (&["-H", "x", "-t", "0"], "invalid value '0' for '--timeout <SECONDS>': '0' is not a number of seconds between 0 and 86400"),
        (&["-H", "x", "--info-days", "-1"], "invalid value '-1' for '--info-days <DAYS>': '-1' is not a number of days (0 or more)"),
        (&["-H", "x", "--max-validity", "-1"], "invalid value '-1' for '--max-validity <DAYS>': '-1' is not a number of days (0 or more)"),
        (&["-H", "x", "-w", "10", "-c", "20"], "-c 20 days is above -w 10 days: CRITICAL must come at fewer days left than WARNING"),
        (&["-H", "x", "--address", "mail server"], "--address 'mail server' is not an IP address (give the name with -H)"),
        (&["-H", "x", "--address", "mail.example.com"], "--address 'mail.example.com' is not an IP address (give the name with -H)"),
        (&["-H", "192.0.2.1", "-6"], "-6 asks for IPv6, but 192.0.2.1 is an IPv4 address"),
        (&["-H", "x", "--address", "::1", "-4"], "-4 asks for IPv4, but ::1 is an IPv6 address"),
        (&["-H", "x", "--helo", "a.example"], "--helo names this machine in SMTP EHLO and LMTP LHLO; check_tls_cert with direct TLS does not send it"),
    ];
    for (args, message) in cases {
        let run = check_tls_cert(args);
        assert_eq!(
            run.stdout,
            usage_line("check_tls_cert", "TLS_CERT", message),
            "{args:?}"
        );
        assert_eq!(run.code, 3);
        assert_eq!(run.stderr, "");
    }
    // Ranges may overlap however the user likes; only plain day counts are compared.
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", "1", "-w", "10:", "-c", "20:"]);
    assert_ne!(run.code, 3, "{}", run.stdout);
}

#[test]
fn helo_with_a_line_break_is_never_sent() {
    // A server that would record whatever arrives: nothing may.
    let injected = "a.example\r\nRCPT TO:<victim@example.com>";
    let run = check_smtp_cert(&["-H", "127.0.0.1", "-p", "1", "--helo", injected]);
    assert_eq!(
        run.stdout,
        usage_line(
            "check_smtp_cert",
            "SMTP_CERT",
            "--helo 'a.example\\r\\nRCPT TO:<victim@example.com>' is not a host name (one word of printable ASCII)"
        )
    );
    assert_eq!(run.code, 3);
    let run = check_tls_cert(&[
        "-H",
        "127.0.0.1",
        "--starttls",
        "smtp",
        "--helo",
        "two words",
    ]);
    assert_eq!(run.code, 3);
    assert!(
        run.first_line()
            .ends_with("--helo 'two words' is not a host name (one word of printable ASCII)"),
        "{}",
        run.stdout
    );
}

#[test]
fn options_a_plugin_does_not_use_are_refused() {
    let run = check_ldap_cert(&["-H", "x", "--helo", "a.example"]);
    assert_eq!(
        run.stdout,
        usage_line(
            "check_ldap_cert",
            "LDAP_CERT",
            "--helo names this machine in SMTP EHLO and LMTP LHLO; the LDAP dialogue does not send it"
        )
    );
    let run = check_tls_cert(&["-H", "x", "--starttls", "imap", "--helo", "a.example"]);
    assert!(
        run.first_line()
            .ends_with("the IMAP dialogue does not send it"),
        "{}",
        run.stdout
    );
    // SMTP over implicit TLS sends no EHLO either.
    let run = check_smtp_cert(&["-H", "x", "--implicit-tls", "--helo", "a.example"]);
    assert_eq!(run.code, 3);
}

#[test]
fn parameters_on_stdin_in_a_windows_code_page_are_decoded() {
    // PRTG on a Western Windows probe writes Windows-1252: b\xfccher is bücher.
    let run = check_tls_cert_with_stdin(b"-H b\xfccher.example --address 127.0.0.1 -p 1 -t 2");
    assert_eq!(run.code, 0, "{}", run.stdout);
    let json = run.json();
    assert_eq!(json["version"], 2, "{}", run.stdout);
    assert_eq!(json["status"], "error", "{}", run.stdout);
    assert_eq!(
        json["message"],
        "b\u{fc}cher.example:1: connection refused by 127.0.0.1:1"
    );
}

#[test]
fn every_failure_in_stdin_mode_is_script_v2_json() {
    for input in [
        &b"-H x -p 70000"[..],
        b"-H x --frobnicate",
        b"port: 25, protocol: smtp, cert_domainname: mta.example.com",
        b"-H \xff\xfe\xfd",
    ] {
        let run = check_tls_cert_with_stdin(input);
        assert_eq!(run.code, 0, "{}", run.stdout);
        let json = run.json();
        assert_eq!(json["version"], 2, "{input:?}: {}", run.stdout);
        assert_eq!(json["status"], "error", "{}", run.stdout);
    }
    let run =
        check_tls_cert_with_stdin(b"port: 25, protocol: smtp, cert_domainname: mta.example.com");
    assert_eq!(
        run.json()["message"],
        "invalid arguments: the device address is missing: the parameters must begin with it (PRTG's %host), as in '%host port: 25, protocol: smtp, cert_domainname: mta.example.com'"
    );
}

#[test]
fn an_argument_error_has_its_own_check_id() {
    let run = check_tls_cert(&["-H", "x", "-p", "0", "-o", "json"]);
    assert_eq!(run.code, 3);
    let json = run.json();
    assert_eq!(json["findings"][0]["check"], "arguments", "{}", run.stdout);
    assert_eq!(json["findings"][0]["state"], "UNKNOWN");
}

#[test]
fn control_characters_in_arguments_never_reach_an_output_raw() {
    for format in ["nagios", "json", "prtg-json", "zabbix"] {
        let run = check_tls_cert(&[
            "-o",
            format,
            "-H",
            "x",
            "--min-tls",
            "1.2\r\nTLS_CERT OK\u{1b}",
        ]);
        assert!(
            !run.stdout.contains('\r') && !run.stdout.contains('\u{1b}'),
            "{format}: {}",
            run.stdout
        );
        assert_eq!(
            run.stdout
                .lines()
                .filter(|l| l.starts_with("TLS_CERT"))
                .count(),
            usize::from(format == "nagios"),
            "{format}: {}",
            run.stdout
        );
    }
}
