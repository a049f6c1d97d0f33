//! check_cert_file: the certificates of a file, a folder or a keystore, no network.
fn main() {
    certprobe_file_check::main()
}
