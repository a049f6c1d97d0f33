//! Writes the audit benchmark's tree (tests/bench/audit_bench.py): FILES files in folders of
//! 100, each tenth kind of file in turn: PEM chains (leaf and intermediate) half of them, DER
//! leaves a fifth, copies of a PKCS#12 and of a JKS file made by openssl and keytool a tenth
//! each, text files without a certificate a tenth. Every PEM and DER leaf is its own
//! certificate, made now; nothing is connected to.
//!
//!     bench_audit_tree DIR FILES SAMPLE.p12 SAMPLE.jks

#![allow(clippy::expect_used, clippy::unwrap_used)]

use certprobe_testkit::{pem, Ca, LeafSpec};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, files, p12, jks] = args.as_slice() else {
        panic!("usage: bench_audit_tree DIR FILES SAMPLE.p12 SAMPLE.jks");
    };
    let files: usize = files.parse().expect("a number of files");
    let p12 = std::fs::read(p12).expect("the PKCS#12 sample");
    let jks = std::fs::read(jks).expect("the JKS sample");
    let root = Ca::root("bench audit root");
    let intermediate = root.intermediate("bench audit intermediate", 1825.0);
    let issuer = intermediate.pem();
    for i in 0..files {
        let folder = Path::new(dir).join(format!("d{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&folder).expect("a folder");
        }
        let days = 1.0 + (i % 400) as f64;
        let leaf = || {
            intermediate.issue(&LeafSpec::new(&format!("host{i}.bench.example")).valid_until(days))
        };
        let (name, bytes): (String, Vec<u8>) = match i % 10 {
            0..=4 => (
                format!("f{i}.pem"),
                format!("{}{issuer}", pem(&leaf().der)).into_bytes(),
            ),
            5 | 6 => (format!("f{i}.der"), leaf().der),
            7 => (format!("f{i}.p12"), p12.clone()),
            8 => (format!("f{i}.jks"), jks.clone()),
            _ => (
                format!("f{i}.conf"),
                format!("# a configuration file {i}\nlisten 443;\n").into_bytes(),
            ),
        };
        std::fs::write(folder.join(name), bytes).expect("a file");
    }
    println!("{dir}");
}
