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

/// An address as 16 bytes that sort like addresses (IPv4 as IPv4-mapped IPv6): the column
/// that range queries use.
pub fn key(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The first and last key of `net/prefix`.
pub fn range_keys(net: IpAddr, prefix: u8) -> ([u8; 16], [u8; 16]) {
    let (first, last) = match net {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            let low = u32::from(v4) & mask;
            (IpAddr::V4(low.into()), IpAddr::V4((low | !mask).into()))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            let low = u128::from(v6) & mask;
            (IpAddr::V6(low.into()), IpAddr::V6((low | !mask).into()))
        }
    };
    (key(first), key(last))
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

    #[test]
    fn range_keys_bound_exactly_the_range() {
        let (low, high) = super::range_keys("192.0.2.77".parse().unwrap(), 24);
        let inside = super::key("192.0.2.255".parse().unwrap());
        let outside = super::key("192.0.3.0".parse().unwrap());
        assert!(low <= inside && inside <= high);
        assert!(outside > high);
        assert_eq!(low, super::key("192.0.2.0".parse().unwrap()));
        let (all_low, all_high) = super::range_keys("10.0.0.0".parse().unwrap(), 0);
        assert!(all_low <= inside && inside <= all_high);
    }
}
