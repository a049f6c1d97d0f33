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
    pub mode: NameMode,
    /// The name checked, in ASCII form.
    pub name: String,
    /// The certificate entry that matched, e.g. `DNS:*.example.com` or `CN:www.example.com`.
    pub matched_by: Option<String>,
}

impl NameCheck {
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

/// Turns a user-given host name into its ASCII form: lowercased, trailing dot removed,
/// each non-ASCII label as `xn--` Punycode (RFC 3492). IP literals pass unchanged.
pub fn to_ascii_name(input: &str) -> Result<String, String> {
    let trimmed = input.trim().trim_end_matches('.');
    let unbracketed = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(trimmed);
    if unbracketed.parse::<IpAddr>().is_ok() {
        return Ok(unbracketed.to_string());
    }
    if trimmed.is_empty() {
        return Err("empty host name".into());
    }
    let mut labels = Vec::new();
    for label in trimmed.split('.') {
        let lower: String = label.chars().flat_map(char::to_lowercase).collect();
        if lower.is_empty() {
            return Err(format!("'{input}' has an empty label"));
        }
        if lower.is_ascii() {
            labels.push(lower);
        } else {
            labels.push(format!("xn--{}", punycode(&lower)));
        }
    }
    let ascii = labels.join(".");
    if ascii.len() > 253
        || ascii
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'/' || b == b'@')
    {
        return Err(format!("'{input}' is not a valid host name"));
    }
    Ok(ascii)
}

/// RFC 3492 Punycode encoding of one label (its basic code points first, then deltas).
fn punycode(label: &str) -> String {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let digit = |d: u32| -> char {
        let d = d as u8;
        (if d < 26 { b'a' + d } else { b'0' + d - 26 }) as char
    };
    let adapt = |mut delta: u32, points: u32, first: bool| -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    };
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    while (handled as usize) < input.len() {
        let m = input.iter().copied().filter(|&c| c >= n).min().unwrap_or(n);
        delta = delta.saturating_add((m - n).saturating_mul(handled + 1));
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.saturating_add(1);
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    out
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

    #[test]
    fn punycode_matches_rfc3492_and_common_names() {
        assert_eq!(
            to_ascii_name("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(to_ascii_name("München.DE.").unwrap(), "xn--mnchen-3ya.de");
        assert_eq!(
            to_ascii_name("例え.テスト").unwrap(),
            "xn--r8jz45g.xn--zckzah"
        );
        assert_eq!(to_ascii_name("[::1]").unwrap(), "::1");
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(to_ascii_name("a..b").is_err());
        assert!(to_ascii_name("a b.example").is_err());
    }
}
