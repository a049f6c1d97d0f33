//! Names with attributes certprobe has no name for are written as Go writes them
//! (`OID=#<DER hex>`), with the one DER encoder: minimal lengths for any size.

use rcgen::{CertificateParams, DnType, KeyPair};

fn certificate_with_attribute(value_len: usize) -> Vec<u8> {
    let mut params = CertificateParams::new(vec!["attr.example".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "attr.example");
    params.distinguished_name.push(
        DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99999, 1]),
        "x".repeat(value_len),
    );
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

#[test]
fn unknown_attributes_get_minimal_der_lengths() {
    for (len, header) in [(5, "0c05"), (200, "0c81c8"), (300, "0c82012c")] {
        let facts =
            certprobe::analysis::CertFacts::parse(&certificate_with_attribute(len)).unwrap();
        let expected = format!("1.3.6.1.4.1.99999.1=#{header}{}", "78".repeat(len));
        assert!(
            facts.subject_rfc2253.contains(&expected),
            "{len}: {}",
            &facts.subject_rfc2253[..80.min(facts.subject_rfc2253.len())]
        );
    }
}
