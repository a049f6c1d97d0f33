//! Durations as people write them in options and config files: `3`, `3s`, `500ms`, `2m`,
//! `1h`, `90d`.

use std::fmt;
use std::time::Duration;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// What was given.
    pub given: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a duration (use seconds, or a number with ms, s, m, h or d)",
            certprobe::text::quote(&self.given, 40)
        )
    }
}

impl std::error::Error for DurationError {}

/// Reads a duration: plain seconds, or a number with a unit.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let error = || DurationError {
        given: text.to_string(),
    };
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| error())?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => return Err(error()),
    };
    if !seconds.is_finite() || seconds > 10.0 * 365.0 * 86_400.0 {
        return Err(error());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_plain_seconds() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        for bad in ["", "s", "-1", "3 weeks", "1e9", "3x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration("3x").unwrap_err().to_string(),
            "'3x' is not a duration (use seconds, or a number with ms, s, m, h or d)"
        );
    }
}
