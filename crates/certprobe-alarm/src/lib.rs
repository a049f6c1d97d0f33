//! Alarms over the inventory, without any I/O: the tier of each deployed certificate
//! (`tier.rs`), its security alarms (`security.rs`), and who owns it (`rule.rs` for the
//! rules, `owner.rs` for the owners and the order that decides between them). The notifier,
//! the reports and `certprobe owners explain` all judge through this crate, so they agree.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod channel;
pub mod owner;
pub mod rule;
pub mod security;
pub mod tier;

pub use owner::{Owner, Owners, Resolution};
pub use security::SecurityAlarm;
pub use tier::{AlarmTier, Thresholds};
