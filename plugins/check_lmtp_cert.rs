//! check_lmtp_cert: the certificate of LMTP with STARTTLS (24).
fn main() {
    certprobe::cli::main(certprobe::LMTP_CERT)
}
