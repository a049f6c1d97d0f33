//! `certprobe`: network scans into the certificate inventory, and its queries.

fn main() {
    certprobe_fleet::main()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
