//! Alarm tiers, as certificate-monitoring products present them (seed 001): Critical (expired
//! or within the critical days), Warning (within the warning days), Info (within --info-days),
//! OK beyond. The boundaries follow -c, -w and --info-days.

use super::Policy;
use serde::Serialize;

/// The leaf's alarm tier by days left. It informs; the state comes from the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tier {
    /// Expired, or at most the critical days left.
    Critical,
    /// At most the warning days left.
    Warning,
    /// At most the info days left (`--info-days`, 90 by default).
    Info,
    /// More than the info days left.
    #[serde(rename = "OK")]
    Ok,
}

impl Tier {
    /// The tier for `days_left` (negative once expired) under the policy's day limits.
    pub fn of(days_left: f64, policy: &Policy) -> Tier {
        if days_left <= policy.critical_days {
            Tier::Critical
        } else if days_left <= policy.warning_days {
            Tier::Warning
        } else if days_left <= policy.info_days {
            Tier::Info
        } else {
            Tier::Ok
        }
    }

    /// The name the outputs print: `Critical`, `Warning`, `Info`, `OK`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Critical => "Critical",
            Tier::Warning => "Warning",
            Tier::Info => "Info",
            Tier::Ok => "OK",
        }
    }

    /// `Info: expires within 31 to 90 days`.
    pub fn describe(self, policy: &Policy) -> String {
        let after = |d: f64| format!("{}", (d + 1.0).floor());
        match self {
            Tier::Critical => format!(
                "Critical: expired or expires within {} days",
                policy.critical_days
            ),
            Tier::Warning => format!(
                "Warning: expires within {} to {} days",
                after(policy.critical_days),
                policy.warning_days
            ),
            Tier::Info => format!(
                "Info: expires within {} to {} days",
                after(policy.warning_days),
                policy.info_days
            ),
            Tier::Ok => format!("OK: expires in more than {} days", policy.info_days),
        }
    }
}
