//! `certprobe`: network scans into the certificate inventory, and its queries.

fn main() {
    certprobe_fleet::main()
}

/// mimalloc: the reports and the dashboard allocate 100,000-row tables of small strings
/// (Cargo.toml says why, and why not on Windows).
#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
