//! Nagios threshold ranges (`10`, `10:`, `~:10`, `10:20`, `@10:20`) for `-w`/`-c`, as the
//! Monitoring Plugins Development Guidelines define them: alert when the value is outside
//! `start..end` (inclusive), or inside it with a leading `@`.
//!
//! A plain number stays what certificate plugins have always meant by it, the minimum days
//! left (alert below it, as check_ssl_cert does); it is the range `N:`, which is also what
//! the perfdata says. Any form with `:`, `~` or `@` is a range over days left.
//!
//! A number with `%` (`25%`) is a share of the leaf's lifetime, as `icingacli x509 check host`
//! takes it: alert when less than that share of notBefore..notAfter is left. It becomes minimum
//! days for each certificate ([`Threshold::for_lifetime`]; the verdict does it for the leaf),
//! so the states, tiers, perfdata and PRTG limits all see days.
//!
//! A number with a unit (`3M`, `1y`, `36h`) is `icingacli x509 check host`'s other form, so
//! its thresholds can be moved over as they are: minimum days, with a year 365 days and a
//! month 30 (icingacli counts calendar months from now: `3M` is 89 to 92 days there).

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
    /// Ends in `%`, but is no percentage from 0 to 100.
    NotPercent(String),
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::NotDays(text) => write!(
                f,
                "'{}' is not a number of days (0 or more), a time like 3M or 1y, a share of the lifetime like 25% or a range like 10:, ~:10, 10:20, @10:20",
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
            RangeError::NotPercent(text) => write!(
                f,
                "'{}' is not a share of the lifetime from 0% to 100%",
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
    /// Alert when less than this percentage (0 to 100) of the certificate's lifetime is left
    /// (`-w 25%`). A share alone knows no days: [`Threshold::for_lifetime`] turns it into
    /// [`Threshold::MinDays`] for one certificate, and until then it never alerts.
    Percent(f64),
}

/// Days of icingacli's `<n><unit>` (`y`/`Y`, `M`, `d`/`D`, `h`/`H`, `m`, `s`/`S`), to two
/// decimals as days are printed; `None` when `text` is not one.
fn interval_days(text: &str) -> Option<f64> {
    let unit = text.chars().last()?;
    let days_per_unit = match unit {
        'y' | 'Y' => 365.0,
        'M' => 30.0,
        'd' | 'D' => 1.0,
        'h' | 'H' => 1.0 / 24.0,
        'm' => 1.0 / 1440.0,
        's' | 'S' => 1.0 / 86_400.0,
        _ => return None,
    };
    let number = &text[..text.len() - unit.len_utf8()];
    if !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let days = number.parse::<f64>().ok()? * days_per_unit;
    days.is_finite().then(|| (days * 100.0).round() / 100.0)
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
        if let Some(number) = text.strip_suffix('%') {
            return match number.trim().parse::<f64>() {
                Ok(share) if (0.0..=100.0).contains(&share) => Ok(Threshold::Percent(share)),
                _ => Err(RangeError::NotPercent(text.to_string())),
            };
        }
        if let Some(days) = interval_days(text) {
            return Ok(Threshold::MinDays(days));
        }
        if !text.contains([':', '~', '@']) {
            return match text.parse::<f64>() {
                Ok(days) if days >= 0.0 && days.is_finite() => Ok(Threshold::MinDays(days)),
                _ => Err(RangeError::NotDays(text.to_string())),
            };
        }
        Range::parse(text).map(Threshold::Range)
    }

    /// True when `days` left should raise this threshold's state. A [`Threshold::Percent`]
    /// not yet turned into days ([`Threshold::for_lifetime`]) never alerts.
    pub fn alerts(&self, days: f64) -> bool {
        match self {
            Threshold::MinDays(min) => days < *min,
            Threshold::Range(range) => range.alerts(days),
            Threshold::Percent(_) => false,
        }
    }

    /// The perfdata form: `30:` for minimum days, the range as written otherwise (`25%` for a
    /// share not yet turned into days, which no perfdata should carry).
    pub fn perfdata(&self) -> String {
        match self {
            Threshold::MinDays(min) => format!("{min}:"),
            Threshold::Range(range) => range.text.clone(),
            Threshold::Percent(share) => format!("{share}%"),
        }
    }

    /// The days below which this alerts, for tiers and PRTG limits (which only know minimums);
    /// 0 for a share not yet turned into days.
    pub fn min_days(&self) -> f64 {
        match self {
            Threshold::MinDays(min) => *min,
            Threshold::Range(range) if !range.inside && range.start.is_finite() => range.start,
            Threshold::Range(_) | Threshold::Percent(_) => 0.0,
        }
    }

    /// This threshold for a certificate valid `lifetime_days` (notBefore to notAfter): a share
    /// becomes minimum days, rounded to two decimals as every output prints days (`25%` of 90
    /// days is `22.5`); days and ranges stay as they are.
    pub fn for_lifetime(&self, lifetime_days: f64) -> Threshold {
        match self {
            Threshold::Percent(share) => {
                let days = lifetime_days.max(0.0) * share / 100.0;
                Threshold::MinDays((days * 100.0).round() / 100.0)
            }
            other => other.clone(),
        }
    }

    /// True for a share of the lifetime (`25%`).
    pub fn is_percent(&self) -> bool {
        matches!(self, Threshold::Percent(_))
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
    fn percentages_are_shares_of_the_lifetime() {
        assert_eq!(Threshold::parse("25%").unwrap(), Threshold::Percent(25.0));
        assert_eq!(
            Threshold::parse(" 12.5 %").unwrap(),
            Threshold::Percent(12.5)
        );
        assert_eq!(Threshold::parse("0%").unwrap(), Threshold::Percent(0.0));
        assert_eq!(Threshold::parse("100%").unwrap(), Threshold::Percent(100.0));
        // Not yet tied to a certificate: no days, no alert.
        let share = Threshold::parse("25%").unwrap();
        assert!(!share.alerts(-5.0) && !share.alerts(0.0));
        assert_eq!(share.min_days(), 0.0);
        assert_eq!(share.perfdata(), "25%");
        assert!(share.is_percent() && !Threshold::MinDays(3.0).is_percent());
        // 25% of a 90-day certificate: alert below 22.5 days left.
        let days = share.for_lifetime(90.0);
        assert_eq!(days, Threshold::MinDays(22.5));
        assert!(days.alerts(22.49) && !days.alerts(22.5));
        assert_eq!(days.perfdata(), "22.5:");
        assert_eq!(days.min_days(), 22.5);
        // Rounded to two decimals, as days are printed; a lifetime below zero counts as none.
        assert_eq!(
            Threshold::Percent(10.0).for_lifetime(397.123),
            Threshold::MinDays(39.71)
        );
        assert_eq!(
            Threshold::Percent(10.0).for_lifetime(-3.0),
            Threshold::MinDays(0.0)
        );
        // Days and ranges do not depend on the lifetime.
        assert_eq!(
            Threshold::MinDays(30.0).for_lifetime(90.0),
            Threshold::MinDays(30.0)
        );
        let range = Threshold::parse("@10:20").unwrap();
        assert_eq!(range.for_lifetime(90.0), range);
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
            ("101%", RangeError::NotPercent("101%".into())),
            ("-1%", RangeError::NotPercent("-1%".into())),
            ("%", RangeError::NotPercent("%".into())),
            ("ten%", RangeError::NotPercent("ten%".into())),
            ("NaN%", RangeError::NotPercent("NaN%".into())),
        ];
        for (bad, error) in cases {
            assert_eq!(Threshold::parse(bad), Err(error), "{bad}");
        }
        assert_eq!(
            Threshold::parse("20:10").unwrap_err().to_string(),
            "'20:10': the start of a range may not exceed its end"
        );
        assert_eq!(
            Threshold::parse("150%").unwrap_err().to_string(),
            "'150%' is not a share of the lifetime from 0% to 100%"
        );
    }

    #[test]
    fn icingacli_intervals_are_minimum_days() {
        for (text, days) in [
            ("3M", 90.0),
            ("1y", 365.0),
            ("1Y", 365.0),
            ("14d", 14.0),
            ("14D", 14.0),
            ("36h", 1.5),
            ("1.5d", 1.5),
            ("720m", 0.5),
            ("86400s", 1.0),
        ] {
            assert_eq!(
                Threshold::parse(text),
                Ok(Threshold::MinDays(days)),
                "{text}"
            );
        }
        assert_eq!(Threshold::parse("3M").unwrap().perfdata(), "90:");
        for bad in ["M", "-3M", "3 M", "3w", "1e3d", "3m:"] {
            assert!(
                !matches!(Threshold::parse(bad), Ok(Threshold::MinDays(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn quoted_text_stays_on_one_short_line() {
        // Found by the nagios_range fuzzer: the argument was quoted raw and whole.
        assert_eq!(
            Threshold::parse("v\0").unwrap_err().to_string(),
            "'v\\0' is not a number of days (0 or more), a time like 3M or 1y, a share of the lifetime like 25% or a range like 10:, ~:10, 10:20, @10:20"
        );
        assert_eq!(
            Threshold::parse("1\x1b:x").unwrap_err().to_string(),
            "'1\\x1b:x' is not a Nagios range (10, 10:, ~:10, 10:20, @10:20)"
        );
        let long = format!("{}:1", "9".repeat(5000));
        assert!(Threshold::parse(&long).unwrap_err().to_string().len() < 120);
    }
}
