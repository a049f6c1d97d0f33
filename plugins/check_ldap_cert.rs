//! check_ldap_cert: the certificate of LDAP with StartTLS (389), or LDAPS with --ldaps (636).
fn main() {
    certprobe_cli::main(certprobe_cli::LDAP_CERT)
}
