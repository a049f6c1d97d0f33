//! Does the certificate cover the name we asked for? RFC 6125 rules: a wildcard only as the
//! whole leftmost label, matching exactly one label; case-insensitive; IP literals against IP
//! SANs; internationalised names compared in their ASCII (A-label) form.

use super::certificate::CertFacts;
use serde::Serialize;
use std::net::IpAddr;

/// Which certificate fields the name is compared with (`--name-check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NameMode {
    /// No name check.
    None,
    /// The subject CN only.
    Cn,
    /// DNS/IP SANs; the CN only when there is no SAN of the name's kind.
    #[default]
    CnSan,
}

impl NameMode {
    /// The option value: `none`, `cn`, `cn-san`.
    pub fn name(self) -> &'static str {
        match self {
            NameMode::None => "none",
            NameMode::Cn => "cn",
            NameMode::CnSan => "cn-san",
        }
    }
}

/// The result of comparing one name with the leaf certificate.
#[derive(Debug, Clone, Serialize)]
pub struct NameCheck {
    /// Which names were compared (`--name-check`).
    pub mode: NameMode,
    /// The name checked, in ASCII form.
    pub name: String,
    /// The certificate entry that matched, e.g. `DNS:*.example.com` or `CN:www.example.com`.
    pub matched_by: Option<String>,
}

impl NameCheck {
    /// True when the name matched, or the check is off.
    pub fn matched(&self) -> bool {
        self.mode == NameMode::None || self.matched_by.is_some()
    }
}

/// Compares `name` (ASCII form, or an IP literal) with the leaf.
pub fn check(leaf: &CertFacts, name: &str, mode: NameMode) -> NameCheck {
    let matched_by = match mode {
        NameMode::None => None,
        NameMode::Cn => cn_match(leaf, name),
        NameMode::CnSan => san_match(leaf, name),
    };
    NameCheck {
        mode,
        name: name.to_string(),
        matched_by,
    }
}

fn san_match(leaf: &CertFacts, name: &str) -> Option<String> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        let hit = leaf
            .ip_addresses
            .iter()
            .find(|entry| entry.parse::<IpAddr>().ok() == Some(ip));
        return match hit {
            Some(entry) => Some(format!("IP:{entry}")),
            None if leaf.ip_addresses.is_empty() && leaf.dns_names.is_empty() => {
                cn_match(leaf, name)
            }
            None => None,
        };
    }
    if leaf.dns_names.is_empty() {
        return cn_match(leaf, name);
    }
    leaf.dns_names
        .iter()
        .find(|pattern| matches_pattern(pattern, name))
        .map(|pattern| format!("DNS:{pattern}"))
}

fn cn_match(leaf: &CertFacts, name: &str) -> Option<String> {
    let cn = leaf.common_name.as_deref()?;
    let hit = match (cn.parse::<IpAddr>(), name.parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => matches_pattern(cn, name),
        _ => false,
    };
    hit.then(|| format!("CN:{cn}"))
}

/// RFC 6125 section 6.4.3, strict form: `*` must be the whole leftmost label, it matches
/// exactly one non-empty label, and at least two labels must follow it.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let pattern = normalise(pattern);
    let name = normalise(name);
    if name.is_empty() || name.parse::<IpAddr>().is_ok() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) => {
            if rest.contains('*') || rest.split('.').count() < 2 {
                return false;
            }
            match name.split_once('.') {
                Some((first, tail)) => !first.is_empty() && tail == rest,
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern == name,
    }
}

/// Lowercase, without a trailing dot.
fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_exactly_one_leftmost_label() {
        assert!(matches_pattern("*.example.com", "a.example.com"));
        assert!(matches_pattern("*.EXAMPLE.com", "A.example.COM."));
        assert!(!matches_pattern("*.example.com", "a.b.example.com"));
        assert!(!matches_pattern("*.example.com", "example.com"));
        assert!(!matches_pattern("*.com", "example.com"));
        assert!(!matches_pattern("a*.example.com", "ab.example.com"));
        assert!(!matches_pattern("*.*.example.com", "a.b.example.com"));
        assert!(!matches_pattern("*.0.0.1", "127.0.0.1"));
    }
}
