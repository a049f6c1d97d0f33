//! check_tls_cert: the certificate of any direct-TLS service (HTTPS, IMAPS, LDAPS, ...).
fn main() {
    certprobe::cli::main(certprobe::TLS_CERT)
}
