//! Alarm tiers by days left, as seed 001 defines them: Info within 90 days, Warning within
//! 30, Critical within 7, and expired; thresholds configurable (`[alarms]`).

use serde::{Deserialize, Serialize};

/// A certificate's tier, least severe first: a notification goes out when it rises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlarmTier {
    /// More than the info days left.
    Ok,
    /// At most the info days left.
    Info,
    /// At most the warning days left.
    Warning,
    /// At most the critical days left.
    Critical,
    /// Past notAfter.
    Expired,
}

impl AlarmTier {
    /// Every tier, least severe first.
    pub const ALL: [AlarmTier; 5] = [
        AlarmTier::Ok,
        AlarmTier::Info,
        AlarmTier::Warning,
        AlarmTier::Critical,
        AlarmTier::Expired,
    ];

    /// The id stored and written in JSON: `ok`, `info`, `warning`, `critical`, `expired`.
    pub fn id(self) -> &'static str {
        match self {
            AlarmTier::Ok => "ok",
            AlarmTier::Info => "info",
            AlarmTier::Warning => "warning",
            AlarmTier::Critical => "critical",
            AlarmTier::Expired => "expired",
        }
    }

    /// The name people read: `OK`, `Info`, `Warning`, `Critical`, `Expired`.
    pub fn name(self) -> &'static str {
        match self {
            AlarmTier::Ok => "OK",
            AlarmTier::Info => "Info",
            AlarmTier::Warning => "Warning",
            AlarmTier::Critical => "Critical",
            AlarmTier::Expired => "Expired",
        }
    }

    /// The tier of an id; `None` for anything else.
    pub fn from_id(id: &str) -> Option<AlarmTier> {
        AlarmTier::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The number a trap carries: 0 (OK) to 4 (expired).
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// The day limits of the tiers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Info at most this many days left.
    pub info_days: f64,
    /// Warning at most this many days left.
    pub warning_days: f64,
    /// Critical at most this many days left.
    pub critical_days: f64,
    /// RSA and DSA keys below this many bits are weak.
    pub min_rsa_bits: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            info_days: 90.0,
            warning_days: 30.0,
            critical_days: 7.0,
            min_rsa_bits: 2048,
        }
    }
}

/// Seconds in a day.
pub const DAY: i64 = 86_400;

impl Thresholds {
    /// The tier of a certificate valid until `not_after`, at `now` (Unix seconds).
    pub fn tier(&self, not_after: i64, now: i64) -> AlarmTier {
        if not_after <= now {
            return AlarmTier::Expired;
        }
        let days_left = (not_after - now) as f64 / DAY as f64;
        if days_left <= self.critical_days {
            AlarmTier::Critical
        } else if days_left <= self.warning_days {
            AlarmTier::Warning
        } else if days_left <= self.info_days {
            AlarmTier::Info
        } else {
            AlarmTier::Ok
        }
    }

    /// Why the limits cannot be used, when they are not in order.
    pub fn check(&self) -> Result<(), String> {
        let days = [self.critical_days, self.warning_days, self.info_days];
        if days.iter().any(|d| !d.is_finite() || *d < 0.0) {
            return Err("the days must be 0 or more".to_string());
        }
        if !(self.critical_days <= self.warning_days && self.warning_days <= self.info_days) {
            return Err(format!(
                "critical_days ({}) must be at most warning_days ({}), and that at most info_days ({})",
                self.critical_days, self.warning_days, self.info_days
            ));
        }
        Ok(())
    }
}

/// Whole days left, rounded down; negative once expired (`-1` on the day after).
pub fn days_left(not_after: i64, now: i64) -> i64 {
    (not_after - now).div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_tiers_at_their_boundaries() {
        let t = Thresholds::default();
        let now = 1_000_000_000;
        let at = |days: f64| now + (days * DAY as f64) as i64;
        assert_eq!(t.tier(at(91.0), now), AlarmTier::Ok);
        assert_eq!(t.tier(at(90.0), now), AlarmTier::Info);
        assert_eq!(t.tier(at(30.5), now), AlarmTier::Info);
        assert_eq!(t.tier(at(30.0), now), AlarmTier::Warning);
        assert_eq!(t.tier(at(7.0), now), AlarmTier::Critical);
        assert_eq!(t.tier(now + 1, now), AlarmTier::Critical);
        assert_eq!(t.tier(now, now), AlarmTier::Expired);
        assert!(AlarmTier::Expired > AlarmTier::Critical && AlarmTier::Info > AlarmTier::Ok);
        assert_eq!(days_left(now - 1, now), -1);
        assert_eq!(days_left(at(6.9), now), 6);
    }

    #[test]
    fn limits_out_of_order_are_refused() {
        let t = Thresholds {
            warning_days: 100.0,
            ..Thresholds::default()
        };
        assert_eq!(
            t.check().unwrap_err(),
            "critical_days (7) must be at most warning_days (100), and that at most info_days (90)"
        );
        for tier in AlarmTier::ALL {
            assert_eq!(AlarmTier::from_id(tier.id()), Some(tier));
        }
    }
}
