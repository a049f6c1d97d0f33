//! The certprobe demo: starts TLS servers on 127.0.0.1 with certificates made on the spot
//! (good, expiring soon, self-signed, wrong name), runs check_tls_cert against each, and
//! prints what Nagios/Icinga and PRTG would receive. Needs no network.
//!
//!     cargo run --release --example demo

use certprobe_testkit::{serve, write_temp, Ca, LeafSpec, Server};
use std::ffi::OsString;

fn main() {
    let root = Ca::root("certprobe Demo Root");
    let intermediate = root.intermediate("certprobe Demo Intermediate", 1825.0);
    let root_file = write_temp("demo-root.pem", root.pem().as_bytes())
        .display()
        .to_string();

    let chained = |spec: LeafSpec| -> Server {
        let leaf = intermediate.issue(&spec);
        serve(vec![leaf.der, intermediate.der()], leaf.key_pkcs8)
    };
    let self_signed = LeafSpec::new("selfsigned.example").self_signed();

    let scenarios: Vec<(&str, &str, Server)> = vec![
        (
            "a good certificate",
            "good.example",
            chained(LeafSpec::new("good.example").valid_until(200.0)),
        ),
        (
            "a certificate expiring in 5 days",
            "soon.example",
            chained(LeafSpec::new("soon.example").valid_until(5.5)),
        ),
        (
            "a self-signed certificate",
            "selfsigned.example",
            serve(vec![self_signed.der.clone()], self_signed.key_pkcs8.clone()),
        ),
        (
            "a certificate for another name",
            "wrong.example",
            chained(LeafSpec::new("right.example")),
        ),
    ];

    for (what, name, server) in scenarios {
        let port = server.port.to_string();
        let args = [
            "-H",
            name,
            "--address",
            "127.0.0.1",
            "-p",
            &port,
            "--ca-file",
            &root_file,
        ];
        println!("=== {what}");
        for output in ["nagios", "prtg-json"] {
            let shown = format!("check_tls_cert {} --output {output}", args.join(" "));
            println!("$ {shown}");
            let argv: Vec<OsString> = std::iter::once("check_tls_cert")
                .chain(args)
                .chain(["--output", output])
                .map(OsString::from)
                .collect();
            let rendered = certprobe_cli::run(certprobe_cli::TLS_CERT, argv);
            print!("{}", rendered.text);
            println!("(exit code {})\n", rendered.exit_code);
        }
    }
}
