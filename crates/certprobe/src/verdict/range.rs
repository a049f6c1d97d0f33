//! Nagios threshold ranges (`10`, `10:`, `~:10`, `10:20`, `@10:20`) for `-w`/`-c`, as the
//! Monitoring Plugins Development Guidelines define them: alert when the value is outside
//! `start..end` (inclusive), or inside it with a leading `@`.
//!
//! A plain number stays what certificate plugins have always meant by it, the minimum days
//! left (alert below it, as check_ssl_cert does); it is the range `N:`, which is also what
//! the perfdata says. Any form with `:`, `~` or `@` is a range over days left.

use std::fmt;

/// Why a `-w`/`-c` value is not a threshold. Each holds the text as the user wrote it; the
/// sentence quotes it visibly and cut to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeError {
    /// Neither a number of days (0 or more) nor a range.
    NotDays(String),
    /// Has `:`, `~` or `@`, but is no Nagios range.
    NotRange(String),
    /// A range whose start lies after its end.
    StartAfterEnd(String),
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::NotDays(text) => write!(
                f,
                "'{}' is not a number of days (0 or more) or a range like 10:, ~:10, 10:20, @10:20",
                shown(text)
            ),
            RangeError::NotRange(text) => write!(
                f,
                "'{}' is not a Nagios range (10, 10:, ~:10, 10:20, @10:20)",
                shown(text)
            ),
            RangeError::StartAfterEnd(text) => write!(
                f,
                "'{}': the start of a range may not exceed its end",
                shown(text)
            ),
        }
    }
}

impl std::error::Error for RangeError {}

/// A threshold on days left.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// Alert below this many days (`-w 30`), the same as the range `30:`.
    MinDays(f64),
    /// Any form with `:`, `~` or `@`: a Nagios range over days left.
    Range(Range),
}

/// A parsed Nagios range: `10` means `0:10`, an empty start is 0, an empty end unbounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// The lower bound, inclusive; `-inf` for `~`.
    pub start: f64,
    /// The upper bound, inclusive; `+inf` when the end is left empty (`10:`).
    pub end: f64,
    /// True with a leading `@`: alert inside the range instead of outside it.
    pub inside: bool,
    /// As the user wrote it, for perfdata.
    pub text: String,
}

impl Threshold {
    /// Parses `-w`/`-c`: a plain number (0 or more) is minimum days, anything with `:`, `~`
    /// or `@` a [`Range`]. The error is a sentence for the user.
    pub fn parse(text: &str) -> Result<Threshold, RangeError> {
        let text = text.trim();
        if !text.contains([':', '~', '@']) {
            return match text.parse::<f64>() {
                Ok(days) if days >= 0.0 && days.is_finite() => Ok(Threshold::MinDays(days)),
                _ => Err(RangeError::NotDays(text.to_string())),
            };
        }
        Range::parse(text).map(Threshold::Range)
    }

    /// True when `days` left should raise this threshold's state.
    pub fn alerts(&self, days: f64) -> bool {
        match self {
            Threshold::MinDays(min) => days < *min,
            Threshold::Range(range) => range.alerts(days),
        }
    }

    /// The perfdata form: `30:` for minimum days, the range as written otherwise.
    pub fn perfdata(&self) -> String {
        match self {
            Threshold::MinDays(min) => format!("{min}:"),
            Threshold::Range(range) => range.text.clone(),
        }
    }

    /// The days below which this alerts, for tiers and PRTG limits (which only know minimums).
    pub fn min_days(&self) -> f64 {
        match self {
            Threshold::MinDays(min) => *min,
            Threshold::Range(range) if !range.inside && range.start.is_finite() => range.start,
            Threshold::Range(_) => 0.0,
        }
    }
}

impl Range {
    /// Parses `[@]start:end`, `[@]end`, `~:end` or `start:`; numbers must be finite and
    /// `start` may not exceed `end`. The error is a sentence for the user.
    pub fn parse(text: &str) -> Result<Range, RangeError> {
        let bad = || RangeError::NotRange(text.to_string());
        let (inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
        let (start, end) = match body.split_once(':') {
            None => (0.0, number(body).ok_or_else(bad)?),
            Some((start, end)) => {
                let start = match start {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    s => number(s).ok_or_else(bad)?,
                };
                let end = if end.is_empty() {
                    f64::INFINITY
                } else {
                    number(end).ok_or_else(bad)?
                };
                (start, end)
            }
        };
        if start > end {
            return Err(RangeError::StartAfterEnd(text.to_string()));
        }
        Ok(Range {
            start,
            end,
            inside,
            text: text.to_string(),
        })
    }

    /// True when `value` is outside the range, or inside it for an `@` range.
    pub fn alerts(&self, value: f64) -> bool {
        let outside = value < self.start || value > self.end;
        outside != self.inside
    }
}

/// The user's text as quoted in a message: control characters escaped, at most 60 characters.
fn shown(text: &str) -> String {
    crate::text::quote(text, 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(range: &str, value: f64) -> bool {
        Threshold::parse(range).unwrap().alerts(value)
    }

    #[test]
    fn the_guideline_table_holds() {
        // 10: alert if < 0 or > 10
        assert!(Range::parse("10").unwrap().alerts(-1.0));
        assert!(Range::parse("10").unwrap().alerts(11.0));
        assert!(!Range::parse("10").unwrap().alerts(10.0));
        // 10: alert if < 10
        assert!(alerts("10:", 9.99));
        assert!(!alerts("10:", 10.0));
        // ~:10 alert if > 10
        assert!(alerts("~:10", 10.5));
        assert!(!alerts("~:10", -100.0));
        // 10:20 alert if < 10 or > 20
        assert!(alerts("10:20", 9.0) && alerts("10:20", 21.0) && !alerts("10:20", 15.0));
        // @10:20 alert if 10 <= x <= 20
        assert!(alerts("@10:20", 10.0) && alerts("@10:20", 20.0) && !alerts("@10:20", 21.0));
    }

    #[test]
    fn plain_numbers_are_minimum_days() {
        assert_eq!(Threshold::parse("30").unwrap(), Threshold::MinDays(30.0));
        assert!(alerts("30", 29.99) && !alerts("30", 30.0) && !alerts("30", 30.5));
        // A plain number and its perfdata form agree everywhere, the boundary included.
        for days in [0.0, 6.99, 7.0, 29.99, 30.0, 30.01] {
            assert_eq!(alerts("30", days), alerts("30:", days), "{days}");
            assert_eq!(alerts("7", days), alerts("7:", days), "{days}");
        }
        assert_eq!(Threshold::parse("0.5").unwrap().perfdata(), "0.5:");
        assert_eq!(Threshold::parse("@10:20").unwrap().perfdata(), "@10:20");
        assert_eq!(Threshold::parse("14:").unwrap().min_days(), 14.0);
    }

    #[test]
    fn nonsense_is_refused() {
        let not_days = |t: &str| RangeError::NotDays(t.into());
        let not_range = |t: &str| RangeError::NotRange(t.into());
        let cases = [
            (" soon ", not_days("soon")),
            ("-3", not_days("-3")),
            ("20:10", RangeError::StartAfterEnd("20:10".into())),
            ("@", not_range("@")),
            ("1:2:3", not_range("1:2:3")),
            ("~", not_range("~")),
        ];
        for (bad, error) in cases {
            assert_eq!(Threshold::parse(bad), Err(error), "{bad}");
        }
        assert_eq!(
            Threshold::parse("20:10").unwrap_err().to_string(),
            "'20:10': the start of a range may not exceed its end"
        );
    }

    #[test]
    fn quoted_text_stays_on_one_short_line() {
        // Found by the nagios_range fuzzer: the argument was quoted raw and whole.
        assert_eq!(
            Threshold::parse("v\0").unwrap_err().to_string(),
            "'v\\0' is not a number of days (0 or more) or a range like 10:, ~:10, 10:20, @10:20"
        );
        assert_eq!(
            Threshold::parse("1\x1b:x").unwrap_err().to_string(),
            "'1\\x1b:x' is not a Nagios range (10, 10:, ~:10, 10:20, @10:20)"
        );
        let long = format!("{}:1", "9".repeat(5000));
        assert!(Threshold::parse(&long).unwrap_err().to_string().len() < 120);
    }
}
