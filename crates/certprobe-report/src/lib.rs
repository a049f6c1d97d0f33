//! Reports and dashboard pages over the inventory. `snapshot.rs` judges what is deployed now
//! (tiers, alarms and owners, by certprobe-alarm as the notifier does); `reports.rs` makes
//! each report's data; `render.rs` turns it into HTML with inline CSS and the charts of
//! `svg.rs`; `files.rs` writes a report folder (HTML, CSV, JSON). The live dashboard
//! (`certprobe serve`) renders the same pages per request.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod csv;
pub mod files;
pub mod render;
pub mod reports;
pub mod snapshot;
pub mod svg;
pub mod views;

pub use render::{Pages, RenderError, Site};

/// The daily status's reach back for events: one day.
pub use certprobe_alarm::tier::DAY;
/// The weekly trend's: seven days.
pub const WEEK: i64 = 7 * DAY;
pub use snapshot::Snapshot;
