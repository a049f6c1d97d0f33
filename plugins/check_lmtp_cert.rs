//! check_lmtp_cert: the certificate of LMTP with STARTTLS (24).
fn main() {
    certprobe_cli::main(certprobe_cli::LMTP_CERT)
}
