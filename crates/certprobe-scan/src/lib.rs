//! certprobe's network scanner: jobs of targets x ports, checked with the plugins' engine,
//! stored in the inventory.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod daemon;
mod files;
mod handshake;
pub mod job;
pub mod plan;
pub mod scanner;
pub mod schedule;
pub mod shared;
pub mod sighting;
pub mod spec;

pub use job::{Job, Limits};
pub use scanner::{scan, Progress, ScanError, ScanReport, ScanSettings, UnitsDone};
pub use shared::{scan_shared, Share};
