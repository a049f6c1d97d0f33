//! Address ranges for the endpoint filter, without a crate for twelve lines.

use std::net::IpAddr;

/// True when `ip` is inside `net/prefix` (same family only).
pub fn contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let shift = 32u32.saturating_sub(u32::from(prefix.min(32)));
            let mask = u32::MAX.checked_shl(shift).unwrap_or(0);
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let shift = 128u32.saturating_sub(u32::from(prefix.min(128)));
            let mask = u128::MAX.checked_shl(shift).unwrap_or(0);
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn ranges_hold_their_addresses_only() {
        let net = "192.0.2.0".parse().unwrap();
        assert!(contains(net, 24, "192.0.2.255".parse().unwrap()));
        assert!(!contains(net, 24, "192.0.3.0".parse().unwrap()));
        assert!(contains(net, 0, "10.0.0.1".parse().unwrap()));
        assert!(!contains(net, 24, "::1".parse().unwrap()));
        let v6 = "2001:db8::".parse().unwrap();
        assert!(contains(v6, 120, "2001:db8::ff".parse().unwrap()));
        assert!(!contains(v6, 120, "2001:db8::100".parse().unwrap()));
    }
}
