//! check_cert_inventory: an endpoint's certificate from the certprobe inventory, no network.
fn main() {
    certprobe_inventory_check::main()
}
