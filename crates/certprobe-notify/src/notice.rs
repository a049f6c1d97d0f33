//! A notice: one thing an owner is told about one certificate at one endpoint. Every
//! channel sends notices (an email a digest of them), and the outbox stores them as JSON,
//! so what is sent later is exactly what was decided.

use certprobe_alarm::{AlarmTier, SecurityAlarm};
use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The certificate entered a worse tier (Info, Warning, Critical, Expired).
    Tier,
    /// A new security alarm.
    Alarm,
    /// A security alarm no longer holds, or the certificate is no longer served there.
    Resolved,
    /// The endpoint serves another certificate now: its alarms start again.
    Renewed,
}

impl NoticeKind {
    /// `tier`, `alarm`, `resolved`, `renewed`.
    pub fn id(self) -> &'static str {
        match self {
            NoticeKind::Tier => "tier",
            NoticeKind::Alarm => "alarm",
            NoticeKind::Resolved => "resolved",
            NoticeKind::Renewed => "renewed",
        }
    }
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// What happened.
    pub kind: NoticeKind,
    /// The owner told.
    pub owner: String,
    /// The endpoint, as the inventory lists it (`192.0.2.7:443 (shop.example.com)`).
    pub endpoint: String,
    /// The job that found it.
    pub job: String,
    /// The certificate's SHA-256, colon hex (the new one for `renewed`).
    pub sha256: String,
    /// Its common name, or its subject DN without one.
    pub subject: String,
    /// Its issuer's common name or DN.
    pub issuer: String,
    /// Its notAfter, Unix seconds.
    pub not_after: i64,
    /// Whole days left (negative once expired), when the notice was made.
    pub days_left: i64,
    /// The tier now.
    pub tier: AlarmTier,
    /// The tier told before (`ok` when nothing was).
    pub previous_tier: AlarmTier,
    /// The alarm that was raised or resolved (`alarm`, `resolved`).
    #[serde(default)]
    pub alarm: Option<SecurityAlarm>,
    /// Every security alarm that holds now.
    #[serde(default)]
    pub alarms: Vec<SecurityAlarm>,
    /// For `renewed`, the certificate served before.
    #[serde(default)]
    pub previous_sha256: Option<String>,
    /// One line saying it all.
    pub summary: String,
}

impl Notice {
    /// How severe the notice is, for the digest's subject: the tier now, or OK for good news.
    pub fn severity(&self) -> AlarmTier {
        match self.kind {
            NoticeKind::Resolved => AlarmTier::Ok,
            NoticeKind::Alarm if self.tier < AlarmTier::Warning => AlarmTier::Warning,
            _ => self.tier,
        }
    }
}
