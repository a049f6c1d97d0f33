//! The notifier: what changed since each owner was last told (`plan.rs`), written with the
//! messages it causes in one transaction (the outbox), then sent and marked sent one message
//! at a time. A notifier killed at any moment leaves every notice either planned and
//! pending, or sent and recorded.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod notice;
pub mod plan;

pub use notice::{Notice, NoticeKind};
pub use plan::{plan, Plan};
pub mod digest;
pub mod hook;
pub mod mail;
pub mod outbox;
pub mod process;
pub mod run;
pub mod snmp;
