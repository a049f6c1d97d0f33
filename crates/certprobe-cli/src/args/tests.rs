//! The argument errors: which variant each bad command line gives, and the sentence it reads as.

use super::*;
use crate::{LDAP_CERT, SMTP_CERT, TLS_CERT};
use clap::FromArgMatches;

/// `config_from` for `args` (without the program name), after clap.
fn config_error(plugin: Plugin, args: &[&str]) -> ArgumentError {
    let argv = std::iter::once(plugin.binary).chain(args.iter().copied());
    let matches = command(plugin).try_get_matches_from(argv).unwrap();
    let parsed = Args::from_arg_matches(&matches).unwrap();
    match config_from(plugin, parsed) {
        Ok(_) => panic!("{args:?} was accepted"),
        Err(error) => error,
    }
}

/// The error a value parser gave clap, as the typed error it is.
fn value_error(args: &[&str]) -> ArgumentError {
    let argv = std::iter::once("check_tls_cert").chain(args.iter().copied());
    let error = command(TLS_CERT).try_get_matches_from(argv).unwrap_err();
    assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
    std::error::Error::source(&error)
        .and_then(|e| e.downcast_ref::<ArgumentError>())
        .unwrap()
        .clone()
}

#[test]
fn values_clap_refuses_are_typed_with_the_value() {
    let cases = [
        (
            &["-H", "x", "--starttls", "gopher"][..],
            ArgumentError::NotStarttlsProtocol("gopher".into()),
            "'gopher' is not one of smtp, lmtp, ldap, imap, pop3, ftp, xmpp, postgres, mysql, sieve",
        ),
        (
            &["-H", "x", "--starttls", "tls"],
            ArgumentError::NotStarttlsProtocol("tls".into()),
            "'tls' is not one of smtp, lmtp, ldap, imap, pop3, ftp, xmpp, postgres, mysql, sieve",
        ),
        (
            &["-H", "x", "--min-tls", "1.4"],
            ArgumentError::NotTlsVersion("1.4".into()),
            "'1.4' is not one of 1.0, 1.1, 1.2, 1.3",
        ),
        (
            &["-H", "x", "--min-grade", "G"],
            ArgumentError::NotGrade("G".into()),
            "'G' is not one of A+, A, B, C, D, E, F",
        ),
        (
            &["-H", "x", "-p", "70000"],
            ArgumentError::NotPort("70000".into()),
            "'70000' is not a port number (1 to 65535)",
        ),
        (
            &["-H", "x", "-t", "86401"],
            ArgumentError::NotSeconds("86401".into()),
            "'86401' is not a number of seconds between 0 and 86400",
        ),
        (
            &["-H", "x", "--info-days=-1"],
            ArgumentError::NotDays("-1".into()),
            "'-1' is not a number of days (0 or more)",
        ),
        (
            &["-H", "x", "--max-validity", "inf"],
            ArgumentError::NotDays("inf".into()),
            "'inf' is not a number of days (0 or more)",
        ),
    ];
    for (args, variant, sentence) in cases {
        let error = value_error(args);
        assert_eq!(error, variant, "{args:?}");
        assert_eq!(error.to_string(), sentence, "{args:?}");
    }
}

#[test]
fn option_combinations_are_typed_with_what_was_given() {
    let cases = [
        (
            TLS_CERT,
            &["-H", "x", "--ldaps"][..],
            ArgumentError::OtherPluginsOption {
                option: "--ldaps",
                plugins: "check_ldap_cert",
                plugin: "check_tls_cert",
            },
            "--ldaps is an option of check_ldap_cert, not of check_tls_cert",
        ),
        (
            LDAP_CERT,
            &["-H", "x", "--implicit-tls"],
            ArgumentError::OtherPluginsOption {
                option: "--implicit-tls",
                plugins: "check_smtp_cert and check_lmtp_cert",
                plugin: "check_ldap_cert",
            },
            "--implicit-tls is an option of check_smtp_cert and check_lmtp_cert, not of check_ldap_cert",
        ),
        (
            SMTP_CERT,
            &["-H", "x", "--helo", "a b"],
            ArgumentError::NotHeloName("a b".into()),
            "--helo 'a b' is not a host name (one word of printable ASCII)",
        ),
        (
            SMTP_CERT,
            &["-H", "x", "--helo", "a.example\r\nQUIT"],
            ArgumentError::NotHeloName("a.example\r\nQUIT".into()),
            "--helo 'a.example\\r\\nQUIT' is not a host name (one word of printable ASCII)",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--starttls", "imap", "--helo", "a.example"],
            ArgumentError::HeloNotSent {
                plugin: "check_tls_cert",
                protocol: Protocol::Imap,
            },
            "--helo names this machine in SMTP EHLO and LMTP LHLO; the IMAP dialogue does not send it",
        ),
        (
            SMTP_CERT,
            &["-H", "x", "--implicit-tls", "--helo", "a.example"],
            ArgumentError::HeloNotSent {
                plugin: "check_smtp_cert",
                protocol: Protocol::Tls,
            },
            "--helo names this machine in SMTP EHLO and LMTP LHLO; check_smtp_cert with direct TLS does not send it",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--address", "a\tb"],
            ArgumentError::NotAnAddress("a\tb".into()),
            "--address 'a\\tb' is not an IP address (give the name with -H)",
        ),
        (
            TLS_CERT,
            &["-H", "[::1]", "-4"],
            ArgumentError::WrongFamily("::1".parse().unwrap()),
            "-4 asks for IPv4, but ::1 is an IPv6 address",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--address", "192.0.2.1", "-6"],
            ArgumentError::WrongFamily("192.0.2.1".parse().unwrap()),
            "-6 asks for IPv6, but 192.0.2.1 is an IPv4 address",
        ),
        (
            TLS_CERT,
            &["-H", "x", "-w", "10.5", "-c", "20"],
            ArgumentError::CriticalAboveWarning {
                critical: 20.0,
                warning: 10.5,
            },
            "-c 20 days is above -w 10.5 days: CRITICAL must come at fewer days left than WARNING",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--fingerprint", "ab:cd:zz"],
            ArgumentError::NotHex("ab:cd:zz".into()),
            "'ab:cd:zz' is not a hexadecimal value",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--serial", "0x"],
            ArgumentError::NotHex("0x".into()),
            "'0x' is not a hexadecimal value",
        ),
        (
            TLS_CERT,
            &["-H", "a..example"],
            ArgumentError::HostName(HostNameError::EmptyLabel("a..example".into())),
            "'a..example' has an empty label",
        ),
        (
            TLS_CERT,
            &["-H", "x", "--sni", "a b"],
            ArgumentError::HostName(HostNameError::Invalid("a b".into())),
            "'a b' is not a valid host name",
        ),
        (
            TLS_CERT,
            &["-H", "x", "-m", "ok.example", "-m", ".bad"],
            ArgumentError::HostName(HostNameError::EmptyLabel(".bad".into())),
            "'.bad' has an empty label",
        ),
    ];
    for (plugin, args, variant, sentence) in cases {
        let error = config_error(plugin, args);
        assert_eq!(error, variant, "{args:?}");
        assert_eq!(error.to_string(), sentence, "{args:?}");
    }
}

#[test]
fn a_bad_issuer_pattern_keeps_the_library_reason() {
    let error = config_error(TLS_CERT, &["-H", "x", "--issuer", "(Let's"]);
    let ArgumentError::NotRegex {
        pattern,
        error: reason,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(pattern, "(Let's");
    assert_eq!(
        error.to_string(),
        format!("--issuer '(Let's' is not a valid regular expression: {reason}")
    );
    assert!(!reason.to_string().is_empty());
}

#[test]
fn a_format_name_clap_let_through_is_still_checked() {
    assert_eq!(
        ArgumentError::NotFormat("fancy".into()).to_string(),
        "'fancy' is not an output format"
    );
}
