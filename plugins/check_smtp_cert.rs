//! check_smtp_cert: the certificate of SMTP with STARTTLS (25, 587), or SMTPS with --implicit-tls (465).
fn main() {
    certprobe_cli::main(certprobe_cli::SMTP_CERT)
}
