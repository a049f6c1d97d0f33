//! Durations as people write them in options and config files: `3`, `3s`, `500ms`, `2m`,
//! `36h`, `90d`, `1w`. One reader for the scanner's timeouts, the inventory's ages and
//! `check_cert_inventory --max-age`, so every command takes the same words.

use std::fmt;
use std::time::Duration;

/// The longest duration taken: anything longer is a typing mistake, not a timeout or an age.
const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Not a number with a known unit.
    Unreadable(String),
    /// A duration of more than ten years.
    TooLong(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Unreadable(given) => write!(
                f,
                "'{}' is not a duration (use seconds, or a number with ms, s, m, h, d or w: 500ms, 36h, 2d)",
                crate::text::quote(given, 40)
            ),
            DurationError::TooLong(given) => write!(
                f,
                "'{}' is longer than ten years",
                crate::text::quote(given, 40)
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// Reads a duration: plain seconds, or a number with a unit (`ms`, `s`, `m` or `min`, `h`,
/// `d`, `w`); fractions are allowed (`1.5d`), signs and exponents are not.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let unreadable = || DurationError::Unreadable(text.to_string());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number.parse().map_err(|_| unreadable())?;
    let unit_seconds = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        _ => return Err(unreadable()),
    };
    let seconds = value * unit_seconds;
    if !seconds.is_finite() {
        return Err(unreadable());
    }
    if seconds > MAX_SECONDS {
        return Err(DurationError::TooLong(text.to_string()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_fractions_and_plain_seconds() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("90min"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("36h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse_duration(" 1.5d "), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn other_words_and_long_durations_are_refused_in_a_sentence() {
        for bad in [
            "", "s", "-1", "-1d", "3 weeks", "2 days", "1e9", "3x", "1.2.3s",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(DurationError::Unreadable(bad.to_string()))
            );
        }
        assert_eq!(
            parse_duration("3x").unwrap_err().to_string(),
            "'3x' is not a duration (use seconds, or a number with ms, s, m, h, d or w: 500ms, 36h, 2d)"
        );
        assert_eq!(
            parse_duration("9999d").unwrap_err().to_string(),
            "'9999d' is longer than ten years"
        );
        assert!(parse_duration("3650d").is_ok());
    }
}
