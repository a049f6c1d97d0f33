//! Facts read from certificates: the key sizes, DSA's from its parameters.

use super::*;
use crate::der;

/// A self-signed DSA certificate with a 2048-bit p and a 256-bit q, made with
/// `openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048
/// -pkeyopt dsa_paramgen_q_bits:256`, `openssl genpkey -paramfile` and
/// `openssl req -x509 -new -sha256 -subj /CN=dsa.example -days 3650 -outform DER`.
const DSA_2048: &str = "
MIIEcjCCBBigAwIBAgIUK4+0mghcsEnvGjfQ3oKdUGzbz/wwCwYJYIZIAWUDBAMCMBYxFDASBgNVBAMMC2RzYS5l
eGFtcGxlMB4XDTI2MTIwMTEzMDcwM1oXDTM2MTEyODEzMDcwM1owFjEUMBIGA1UEAwwLZHNhLmV4YW1wbGUwggNH
MIICOgYHKoZIzjgEATCCAi0CggEBAMrCEJybm/E3ajg6dFGfvJ/2Ikc2DlIL87TydIrNF5iChjXUVuDiCHcPRac6
3ZcVS28Vfqi+HMxepY2edNtvoAfhA4+hSvUmdTzJpy71oDx94++y1R7iD8wUw48GQFvZkePNi9R2uXpcBhbVyWxB
r/UTgvyOcIwi1gtW34qmb1e3x8uIw0pgwBqtI+rymEghYvCa644cGXM2N40knjUTsbw48JdcHf8VeircY2Jp7k62
S2WAevkKNMhs89xHKTs2VNVmRZRiNS0JpdfuT+edjq6jZhSxdnSVVdTnzzOnxNaNCDm4IyapzlMOKwTkwlRe6e+O
1kqWCSgmnzbGxUWIMjkCIQCjfkOhgfhmExZF4DUH2n/JduN251K+nOvAYRi0Crb/KwKCAQEApJBJi45NiuGAWVQO
Sic5xI3ET9ZJb/1oaWQ+XKqvRwzzLn8HcEX7+83milBjhQuXC45GJNmysA0O6psKOZ9wJ346jtt2k5J5xIQn6I/5
RJDlytwkl/1p8pAGVsV5BumNyZJsWzQvhLKaT6ZDzDNvIKJCCgJ1l7h7vShmYj+rMTj+161rQqzhR98GohsDu/4X
pfiV9OCDydNzaas1+FEUrQx+ySTCDJKw6nJEZRFV5J2ugqzeE4GEeHu1mujF1xF//DPSIZ1SnRfj6l9GIQUUy2Nt
Ct7RCO6QIpgRPuWeJ5/QqcBefnYGXv7fuvYwC8i9E5S33yGAAFnm26z2ggzBhwOCAQUAAoIBAD5jGlbLMdg36UE3
Vm1oscVG9//hmRRGyjPLJMj3GRXAHq6rKDegNppS991jjpqRYyA6tsiQ9rt0zmY25OO7JFVSqoIHMOWbsYIOGLKS
3HUXTxwUaH2Ri3QyDohc9ZavbqjKk3HXH00QXGZ8Ys7tlEhGnYAr3cstzOf8uOM43jZ8pw+ks7IL4snsUfVzar5Q
VXCsp/2sMHJV9jsZ5Ruwum+AwhgkFQXJvna4nU7hhiBRmdKO2AN8JhLIx6bX5LfLii4P029BFe03CinpC/poT6ja
jzhqkgsvXxE/6xtK7TBkx1N7tG15PhUtK2WC9bk79QjUnpn1sfvMLvIyYNccPjCjUzBRMB0GA1UdDgQWBBQg77QG
VuXCI9GPKuvNgypUyBs8njAfBgNVHSMEGDAWgBQg77QGVuXCI9GPKuvNgypUyBs8njAPBgNVHRMBAf8EBTADAQH/
MAsGCWCGSAFlAwQDAgNHADBEAiBqi3MSh2sxRdhw/QncGGiOj9FxO3cN8I90HytYcZbMmgIgQ4VNDhrPhMOMghwQ
7P6JC7ZBfw02v+Y1PODeYQT468A=";

fn der_of(base64: &str) -> Vec<u8> {
    crate::encoding::unbase64(base64).unwrap()
}

const DSA: [u64; 6] = [1, 2, 840, 10040, 4, 1];

/// SubjectPublicKeyInfo { { id-dsa, `parameters` }, BIT STRING { INTEGER y } }.
fn spki(parameters: Option<Vec<u8>>) -> Vec<u8> {
    let mut algorithm = vec![der::oid(&DSA)];
    algorithm.extend(parameters);
    der::sequence(&[
        der::sequence(&algorithm),
        der::bit_string(&der::integer_unsigned(&[0x5a; 128])),
    ])
}

/// Dss-Parms { p, q, g } with a p of `p` (big-endian magnitude).
fn dss_parms(p: &[u8]) -> Vec<u8> {
    der::sequence(&[
        der::integer_unsigned(p),
        der::integer_unsigned(&[0xc1; 32]),
        der::integer_unsigned(&[2]),
    ])
}

fn key_of(spki_der: &[u8]) -> KeyInfo {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der).unwrap();
    assert!(rest.is_empty());
    key_info(&spki)
}

#[test]
fn a_2048_bit_dsa_key_has_2048_bits() {
    // Found in review: DSA keys were read as 0 bits, so always a CRITICAL weak key.
    let facts = CertFacts::parse(&der_of(DSA_2048)).unwrap();
    assert_eq!(
        facts.key,
        KeyInfo {
            algorithm: KeyAlgorithm::Dsa,
            bits: 2048,
            curve: None
        }
    );
    assert_eq!(facts.key.describe(), "DSA 2048 bits");
}

#[test]
fn dsa_bits_are_the_bit_length_of_p() {
    // A p with its top bit set is encoded with a leading zero byte, which does not count.
    let mut p1024 = vec![0xff; 128];
    p1024[127] = 0x01;
    assert_eq!(key_of(&spki(Some(dss_parms(&p1024)))).bits, 1024);
    let mut p2047 = vec![0xff; 256];
    p2047[0] = 0x7f;
    assert_eq!(key_of(&spki(Some(dss_parms(&p2047)))).bits, 2047);
    assert_eq!(key_of(&spki(Some(dss_parms(&[0xff; 384])))).bits, 3072);
    // Inherited (absent) or malformed parameters give no size.
    let no_size = |parameters| key_of(&spki(parameters)).bits;
    assert_eq!(no_size(None), 0);
    assert_eq!(no_size(Some(der::null())), 0);
    assert_eq!(no_size(Some(der::sequence(&[]))), 0);
    assert_eq!(no_size(Some(der::sequence(&[der::octet_string(&[1])]))), 0);
    assert_eq!(
        no_size(Some(der::sequence(&[der::tlv(der::tag::INTEGER, &[0x80])]))),
        0
    );
    let key = key_of(&spki(Some(dss_parms(&p1024))));
    assert_eq!(key.algorithm, KeyAlgorithm::Dsa);
    assert_eq!(key.describe(), "DSA 1024 bits");
}

#[test]
fn bit_lengths_skip_leading_zeros() {
    assert_eq!(bit_length(&[]), 0);
    assert_eq!(bit_length(&[0, 0]), 0);
    assert_eq!(bit_length(&[0, 1]), 1);
    assert_eq!(bit_length(&[0x00, 0x80, 0]), 16);
    assert_eq!(bit_length(&[0x7f; 3]), 23);
}
