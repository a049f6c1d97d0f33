//! Host names in their ASCII form (IDNA A-labels), as SNI and certificate names use them.
//! Punycode is RFC 3492 in fifty lines; certificate names need no UTS 46 mapping beyond
//! lowercasing.

use crate::text::visible;
use std::net::IpAddr;

/// Why a host name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostNameError {
    /// Nothing was given.
    Empty,
    /// Two dots in a row, or a leading dot.
    EmptyLabel(String),
    /// Spaces, slashes, `@`, control characters, or longer than 253 characters.
    Invalid(String),
}

impl std::fmt::Display for HostNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostNameError::Empty => write!(f, "empty host name"),
            HostNameError::EmptyLabel(name) => write!(f, "'{}' has an empty label", visible(name)),
            HostNameError::Invalid(name) => {
                write!(f, "'{}' is not a valid host name", visible(name))
            }
        }
    }
}

impl std::error::Error for HostNameError {}

/// Turns a user-given host name into its ASCII form: lowercased, trailing dot removed,
/// each non-ASCII label as `xn--` Punycode (RFC 3492). IP literals pass unchanged.
pub fn to_ascii_name(input: &str) -> Result<String, HostNameError> {
    let trimmed = input.trim().trim_end_matches('.');
    let unbracketed = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(trimmed);
    if unbracketed.parse::<IpAddr>().is_ok() {
        return Ok(unbracketed.to_string());
    }
    if trimmed.is_empty() {
        return Err(HostNameError::Empty);
    }
    let mut labels = Vec::new();
    for label in trimmed.split('.') {
        let lower: String = label.chars().flat_map(char::to_lowercase).collect();
        if lower.is_empty() {
            return Err(HostNameError::EmptyLabel(input.to_string()));
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
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'/' || b == b'@')
    {
        return Err(HostNameError::Invalid(input.to_string()));
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
        assert_eq!(
            to_ascii_name("a..b").unwrap_err().to_string(),
            "'a..b' has an empty label"
        );
        assert_eq!(
            to_ascii_name("a b.example").unwrap_err().to_string(),
            "'a b.example' is not a valid host name"
        );
        assert_eq!(
            to_ascii_name("a\r\nb").unwrap_err().to_string(),
            "'a\\r\\nb' is not a valid host name"
        );
        assert_eq!(to_ascii_name(" ").unwrap_err(), HostNameError::Empty);
    }
}
