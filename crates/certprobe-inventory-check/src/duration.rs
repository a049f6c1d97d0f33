//! `--max-age` as people write durations: `2d`, `36h`, `90m`, `1w`, or plain seconds, as
//! `certprobe scan` takes its durations (the scanner's parser lives with the scanner, which
//! this plugin does not depend on).

use std::fmt;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a duration (use seconds, or a number with s, m, h, d or w: 2d, 36h)",
            certprobe::text::quote(&self.0, 40)
        )
    }
}

impl std::error::Error for DurationError {}

/// Seconds of a duration: plain seconds, or a number with `s`, `m`, `h`, `d` or `w`; more than
/// 0 and at most ten years.
pub fn parse_seconds(text: &str) -> Result<i64, DurationError> {
    let error = || DurationError(text.to_string());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number.parse().map_err(|_| error())?;
    let unit_seconds = match unit.trim() {
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        _ => return Err(error()),
    };
    let seconds = (value * unit_seconds).round();
    if !(1.0..=10.0 * 365.0 * 86_400.0).contains(&seconds) {
        return Err(error());
    }
    Ok(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_plain_seconds() {
        assert_eq!(parse_seconds("2d"), Ok(172_800));
        assert_eq!(parse_seconds("36h"), Ok(129_600));
        assert_eq!(parse_seconds("90m"), Ok(5400));
        assert_eq!(parse_seconds("1w"), Ok(604_800));
        assert_eq!(parse_seconds(" 1.5d "), Ok(129_600));
        assert_eq!(parse_seconds("600"), Ok(600));
        for bad in ["", "d", "0", "-1d", "2 days", "1e9", "3x", "99999w"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_seconds("3x").unwrap_err().to_string(),
            "'3x' is not a duration (use seconds, or a number with s, m, h, d or w: 2d, 36h)"
        );
    }
}
