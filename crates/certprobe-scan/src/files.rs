//! Open files: each connection in flight is one, so a scan of 2,000 at once needs more than
//! the usual soft limit of 1,024. The soft limit is raised to the hard one; the concurrency
//! is kept under what remains available.

/// Files kept free for the inventory, the resolver and the standard streams.
const RESERVE: u64 = 64;

/// Raises the soft limit of open files as far as allowed and returns how many connections
/// may be in flight at once, at most `wanted`.
pub fn connections_allowed(wanted: usize) -> usize {
    match raise() {
        Some(limit) => wanted.min(limit.saturating_sub(RESERVE).max(1) as usize),
        None => wanted,
    }
}

#[cfg(unix)]
fn raise() -> Option<u64> {
    use rlimit::Resource;
    let (soft, hard) = Resource::NOFILE.get().ok()?;
    if soft < hard && Resource::NOFILE.set(hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

#[cfg(not(unix))]
fn raise() -> Option<u64> {
    None
}
