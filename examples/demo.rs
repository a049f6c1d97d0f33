//! The certprobe demo: starts TLS servers on 127.0.0.1 with certificates made on the spot
//! (good, expiring soon, self-signed, wrong name), runs check_tls_cert against each, and
//! prints what Nagios/Icinga and PRTG would receive. Then the fleet: the same certificates on
//! four loopback addresses, a `certprobe scan` of their range into a fresh inventory, and the
//! inventory's queries. Needs no network.
//!
//!     cargo run --release --example demo

use certprobe_testkit::{serve, serve_tls_at, write_temp, Ca, LeafSpec, Running, Server};
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
    fleet(&root_file, &intermediate);
}

/// The second part: a scan of four endpoints into an inventory, then what it holds.
fn fleet(root_file: &str, intermediate: &Ca) {
    let served = |ip: &str, port: u16, spec: LeafSpec| -> Running {
        let leaf = intermediate.issue(&spec);
        let addr = format!("{ip}:{port}").parse().expect("address");
        serve_tls_at(addr, vec![leaf.der, intermediate.der()], leaf.key_pkcs8)
            .expect("a loopback address")
    };
    let first = served(
        "127.0.20.1",
        0,
        LeafSpec::new("good.example").valid_until(200.0),
    );
    let port = first.addr.port();
    let _servers = [
        first,
        served(
            "127.0.20.2",
            port,
            LeafSpec::new("soon.example").valid_until(5.5),
        ),
        served(
            "127.0.20.3",
            port,
            LeafSpec::new("right.example").valid_until(90.0),
        ),
    ];
    let folder = std::env::temp_dir().join(format!("certprobe-demo-{}", std::process::id()));
    let db = folder.join("inventory.sqlite");
    let db = db.display().to_string();
    let port = port.to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "scan",
            "--targets",
            "127.0.20.0/29",
            "--ports",
            &port,
            "--ca-file",
            root_file,
            "--sni",
            "127.0.20.1=good.example",
            "--sni",
            "127.0.20.2=soon.example",
            "--sni",
            "127.0.20.3=wrong.example",
            "--no-revocation",
            "--connect-timeout",
            "1s",
        ],
        vec!["inventory", "endpoints"],
        vec!["inventory", "certificates", "--expiring", "30"],
        vec!["inventory", "where", "good.example"],
        vec!["inventory", "runs"],
    ];
    println!("=== the fleet: a scan of 127.0.20.0/29 into {db}");
    for command in commands {
        println!("$ certprobe --db {db} {}", command.join(" "));
        let argv: Vec<OsString> = ["certprobe", "--db", &db]
            .into_iter()
            .chain(command)
            .map(OsString::from)
            .collect();
        let ran = certprobe_fleet::run(argv);
        print!("{}{}", ran.stdout, ran.stderr);
        println!("(exit code {})\n", ran.code);
    }
    let _ = std::fs::remove_dir_all(&folder);
}
